"""Finished trials read back from a search's ``journal.jsonl``, for analysis after the fact."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lgnas.errors import ConfigError
from lgnas.trials.journal_file import read_lines


@dataclass(frozen=True)
class TrialRecord:
    """One journal line of a trial, reduced to what the report's analyses use.

    Attributes:
        id: The trial's id (its order in the search).
        point: Search-space point, dimension name -> value (lists for per-layer dimensions).
        objective: The maximised validation objective; ``None`` for a failed trial.
        parameters: Trainable parameters (``None`` when the trial failed before counting).
        seconds: Trial time the search budget counted.
        wall_seconds: Wall-clock time of the trial as the loop measured it.
        fidelity: Epochs the trial trained for (``None``: full fidelity).
        cost: Every cost the trial recorded (parameters, train seconds, latency, ...), the
            costs of ``search.objectives``.
        stage: The staged search's stage (1: macro choices, 2: a layer's cell); ``None``
            for other strategies.
        layer: In stage 2, the layer (from 1) whose cell the trial varied.
        parent: In stage 2, the trial whose layer it varied.
    """

    id: int
    point: dict[str, Any]
    objective: float | None
    parameters: int | None
    seconds: float
    wall_seconds: float
    fidelity: int | None
    cost: dict[str, Any] = field(default_factory=dict)
    stage: int | None = None
    layer: int | None = None
    parent: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the trial produced an objective."""
        return self.objective is not None


def read_trials(journal: str | Path) -> list[TrialRecord]:
    """Every trial line of a journal, in the order written; the file is never modified.

    A torn last line (the search was killed mid-write) is skipped, as the journal's own
    reader would cut it (:mod:`lgnas.trials.journal_file`).

    Raises:
        ConfigError: The file is missing or damaged (the message says how to salvage it).
    """
    path = Path(journal)
    if not path.is_file():
        raise ConfigError(f"no journal at {path}; point at a search's run directory")
    lines = read_lines(path)
    lines.check()
    return [_record(record) for _, record in lines.records if record.get("type") == "trial"]


def _record(record: dict[str, Any]) -> TrialRecord:
    cost = record.get("cost") or {}
    objective = record.get("objective") if record.get("status", "ok") == "ok" else None
    parameters = cost.get("parameters")
    seconds = float(cost.get("seconds", 0.0))
    return TrialRecord(
        id=int(record["id"]),
        point=dict(record.get("point") or {}),
        objective=None if objective is None else float(objective),
        parameters=None if parameters is None else int(parameters),
        seconds=seconds,
        wall_seconds=float(record.get("wall_seconds", seconds)),
        fidelity=record.get("fidelity"),
        cost=dict(cost),
        stage=record.get("stage"),
        layer=record.get("layer"),
        parent=record.get("parent"),
    )


def comparable(trials: list[TrialRecord]) -> list[TrialRecord]:
    """Successful trials at the highest fidelity present, each point once.

    A multi-fidelity search scores most trials after fewer epochs; mixing those with
    full-fidelity scores would credit a design choice for the epochs it happened to get.
    ``None`` (full fidelity) counts as the highest. A point proposed again reuses its first
    result, so its repeats are no new evidence and are dropped.
    """
    ok = [t for t in trials if t.ok]
    levels = {t.fidelity for t in ok}
    top = None if None in levels else max(levels, default=None)
    first: dict[str, TrialRecord] = {}
    for trial in ok:
        if trial.fidelity == top:
            first.setdefault(json.dumps(trial.point, sort_keys=True), trial)
    return list(first.values())
