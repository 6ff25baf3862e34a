"""What flows between a strategy and the search loop: candidates out, results back."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

Point = dict[str, Any]  # one point of a search space: dimension name -> value


@dataclass(frozen=True)
class Candidate:
    """A point a strategy asked to evaluate, with the id the search loop tracks it by."""

    id: int
    point: Point


@dataclass(frozen=True)
class TrialResult:
    """The outcome of evaluating one candidate.

    Attributes:
        objective: The value strategies maximise (the loop negates minimised metrics);
            ``None`` when the trial failed.
        status: ``ok`` or ``failed``.
        metrics: Validation metrics by name.
        cost: Trainable parameters, train seconds, epochs, ...
        error: Why a failed trial failed.
        fidelity: Epochs the candidate was trained for (``None``: full fidelity); negative
            for epochs on the search's proxy subgraph (:func:`proxy_fidelity`).
    """

    objective: float | None
    status: Literal["ok", "failed"] = "ok"
    metrics: dict[str, float] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    fidelity: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the trial produced an objective."""
        return self.status == "ok" and self.objective is not None

    @classmethod
    def failure(cls, error: str, **kwargs: Any) -> TrialResult:
        """A failed trial with its error message."""
        return cls(objective=None, status="failed", error=error, **kwargs)


def proxy_fidelity(epochs: int) -> int:
    """The fidelity of a trial trained ``epochs`` epochs on the search's proxy subgraph
    (``search.proxy_users``): ``-epochs``.

    Negative, so a proxy trial is a fidelity of its own in the journal (a point is trained
    once per fidelity) and ranks below every full-graph fidelity wherever results are
    compared at the highest fidelity present: its scores come from another, smaller graph.
    """
    return -epochs


def on_proxy(fidelity: int | None) -> bool:
    """Whether a trial at ``fidelity`` trained on the proxy subgraph."""
    return fidelity is not None and fidelity < 0


def fidelity_order(fidelity: int | None) -> float:
    """How fidelities rank, lowest first: the proxy's (negative) below every full-graph
    rung, full training (``None``) above them all; scores compare within one level only."""
    return math.inf if fidelity is None else fidelity


def fidelity_epochs(fidelity: int | None) -> int | None:
    """The epochs a fidelity trains for, on whichever graph (``None``: full fidelity)."""
    return None if fidelity is None else abs(fidelity)


def describe_fidelity(fidelity: int | None) -> str:
    """``15 epochs``, ``3 epochs on the proxy``, or ``full training``."""
    if fidelity is None:
        return "full training"
    epochs = abs(fidelity)
    where = " on the proxy" if on_proxy(fidelity) else ""
    return f"{epochs} epoch{'s' if epochs != 1 else ''}{where}"


def trial_folder(point: Point, fidelity: int | None) -> str:
    """The name of a trial's log folder (under ``<run>/trials/``), made from what it trains.

    Evaluators are not told trial ids (executors send only points), but a point is trained
    once per fidelity, so its digest names its training uniquely; ``trials/index.csv`` (written
    with the report) maps trial ids to these names.
    """
    digest = hashlib.sha1(json.dumps(point, sort_keys=True).encode()).hexdigest()[:12]
    if fidelity is None:
        return digest
    return f"{digest}-p{-fidelity}" if on_proxy(fidelity) else f"{digest}-e{fidelity}"
