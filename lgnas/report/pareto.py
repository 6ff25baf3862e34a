"""The trade-off between quality and size: trials no other trial beats on both."""

from __future__ import annotations

from collections.abc import Sequence

from lgnas.report.trials import TrialRecord


def pareto_front(trials: Sequence[TrialRecord]) -> list[TrialRecord]:
    """Successful trials not dominated in (higher objective, fewer parameters), smallest first.

    A trial is dominated when another is at least as good on both and better on one. Of
    trials equal on both, the earliest is kept, so a point tried twice appears once.
    """
    ranked = sorted(
        (t for t in trials if t.ok and t.parameters is not None),
        key=lambda t: (t.parameters, -t.objective, t.id),
    )
    front: list[TrialRecord] = []
    for trial in ranked:  # by size: kept iff it beats every smaller (or equal) model kept
        if not front or trial.objective > front[-1].objective:
            front.append(trial)
    return front


def within_budget(
    front: Sequence[TrialRecord], tolerance: float = 0.02, size: float = 0.5
) -> list[TrialRecord]:
    """Front members within ``tolerance`` of the best objective at ≤ ``size`` of its parameters.

    The issue's question about a multi-objective search: is there a model nearly as good
    at a fraction of the size? An empty list answers no.
    """
    if not front:
        return []
    best = max(front, key=lambda t: t.objective)
    return [
        t
        for t in front
        if t is not best
        and t.objective >= (1.0 - tolerance) * best.objective
        and t.parameters <= size * best.parameters
    ]
