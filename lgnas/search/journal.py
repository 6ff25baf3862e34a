"""Append-only trial journal: every finished trial survives a crash and is never re-run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lgnas.errors import ConfigError
from lgnas.trials import Candidate, TrialResult

RESULT_FIELDS = ("objective", "status", "metrics", "cost", "error", "fidelity")


class Journal:
    """One JSON object per line, written and fsync-ed as each trial finishes.

    The first line is a header holding the search's identity (strategy, space, seed, ...);
    reopening a journal with another identity is refused, since its trials would not belong
    to the search being resumed. A torn last line (the process died mid-write) is dropped.

    Args:
        path: The journal file (created with its parents if missing).
        identity: What must match for a resume, as plain JSON data.
    """

    def __init__(self, path: str | Path, identity: dict[str, Any]) -> None:
        self.path = Path(path)
        self.identity = json.loads(json.dumps(identity))  # normalise to plain JSON types
        self.trials: dict[int, dict[str, Any]] = {}
        if self.path.exists() and self.path.stat().st_size:
            self._load()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._write({"type": "header", **self.identity}, truncate=True)

    def _load(self) -> None:
        records = list(_read_records(self.path))
        header = records[0] if records else {}
        stored = {k: v for k, v in header.items() if k != "type"}
        if header.get("type") != "header" or stored != self.identity:
            differing = sorted(
                k for k in set(stored) | set(self.identity) if stored.get(k) != self.identity.get(k)
            )
            raise ConfigError(
                f"{self.path} belongs to a different search (differs in {differing}); "
                "use a new output directory, or the same settings to resume it"
            )
        for record in records[1:]:
            if record.get("type") == "trial":
                self.trials[int(record["id"])] = record

    def _write(self, record: dict[str, Any], truncate: bool = False) -> None:
        with self.path.open("w" if truncate else "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def lookup(self, trial: int, key: str, fidelity: int | None = None) -> TrialResult | None:
        """The recorded result of trial number ``trial``, if it finished before.

        A trial is one training of a point at one fidelity, numbered in the order the search
        runs them (without a scheduler, the candidate's id). With ``fidelity`` given, the
        record must be at it too: a multi-fidelity search trains a point once per fidelity.

        Raises:
            ConfigError: The journal holds another point or fidelity under this number (the
                search's settings changed in a way its identity did not capture).
        """
        record = self.trials.get(trial)
        if record is None:
            return None
        recorded_fidelity = record.get("fidelity") if fidelity is not None else None
        if record["key"] != key or recorded_fidelity != fidelity:
            was = _describe(record["key"], recorded_fidelity)
            raise ConfigError(
                f"{self.path}: trial {trial} was {was}, but the resumed search proposes "
                f"{_describe(key, fidelity)}; the search settings changed, so start a new "
                "output directory"
            )
        return TrialResult(**{name: record[name] for name in RESULT_FIELDS})

    def record(
        self, trial: int, candidate: Candidate, key: str, result: TrialResult, **extra: Any
    ) -> None:
        """Append trial number ``trial`` (of ``candidate``) and flush it to disk."""
        record = {
            "type": "trial",
            "id": trial,
            "candidate": candidate.id,
            "key": key,
            "point": candidate.point,
            **asdict(result),
            **extra,
        }
        self._write(record)
        self.trials[trial] = json.loads(json.dumps(record))

    def __len__(self) -> int:
        return len(self.trials)


def _describe(key: str, fidelity: int | None) -> str:
    return key if fidelity is None else f"{key} at {fidelity} epochs"


def _read_records(path: Path) -> Iterator[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # torn final write of a killed process: cut it off
                path.write_text("".join(f"{kept}\n" for kept in lines[:-1]), encoding="utf-8")
                return
            raise ConfigError(
                f"{path}, line {number}: not a JSON record; the journal is damaged"
            ) from None
