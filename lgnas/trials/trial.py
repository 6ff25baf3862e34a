"""What flows between a strategy and the search loop: candidates out, results back."""

from __future__ import annotations

import hashlib
import json
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
        fidelity: Epochs the candidate was trained for (``None``: full fidelity).
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


def trial_folder(point: Point, fidelity: int | None) -> str:
    """The name of a trial's log folder (under ``<run>/trials/``), made from what it trains.

    Evaluators are not told trial ids (executors send only points), but a point is trained
    once per fidelity, so its digest names its training uniquely; ``trials/index.csv`` (written
    with the report) maps trial ids to these names.
    """
    digest = hashlib.sha1(json.dumps(point, sort_keys=True).encode()).hexdigest()[:12]
    return digest if fidelity is None else f"{digest}-e{fidelity}"
