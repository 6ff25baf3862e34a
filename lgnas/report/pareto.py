"""The trade-off between quality and cost: trials no other trial beats on every objective.

The costs are those of ``search.objectives`` (parameters, inference latency, train time);
without it, quality against trainable parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

from lgnas.report.trials import TrialRecord
from lgnas.trials import COSTS, Objective, nondominated_fronts, parse_objectives, utilities

PARAMETERS = Objective("parameters", COSTS["parameters"])


def report_objectives(objective: str, specs: Sequence[str] | None) -> tuple[Objective, ...]:
    """The objectives the report trades off: ``specs`` (``search.objectives``) if they name a
    cost, else ``objective`` against parameters."""
    chosen = parse_objectives(list(specs)) if specs else ()
    return (
        chosen
        if costs_of(chosen)
        else parse_objectives([Objective(objective).spec, PARAMETERS.spec])
    )


def costs_of(objectives: Sequence[Objective]) -> list[Objective]:
    """The cost coordinates of ``objectives``, in their order."""
    return [o for o in objectives if o.cost_key is not None]


def pareto_front(
    trials: Sequence[TrialRecord],
    objectives: Sequence[Objective] = (Objective("quality"), PARAMETERS),
) -> list[TrialRecord]:
    """Successful trials no other trial dominates on ``objectives``, cheapest first (by the
    first cost).

    A trial is dominated when another is at least as good everywhere and better somewhere. Of
    trials with equal values, the earliest is kept, so a point tried twice appears once.
    Trials lacking a cost are left out.
    """
    unique: dict[tuple[float, ...], TrialRecord] = {}
    for trial in sorted((t for t in trials if t.ok), key=lambda t: t.id):
        vector = utilities(objectives, trial)
        if vector is not None:
            unique.setdefault(vector, trial)
    vectors = list(unique)
    front = [unique[vectors[i]] for i in nondominated_fronts(vectors)[0]] if vectors else []
    cheapest = costs_of(objectives)[0]
    return sorted(front, key=lambda t: (cheapest.value(t), -t.objective, t.id))


def within_budget(
    front: Sequence[TrialRecord],
    tolerance: float = 0.02,
    size: float = 0.5,
    cost: Objective = PARAMETERS,
) -> list[TrialRecord]:
    """Front members within ``tolerance`` of the best objective at ≤ ``size`` of its ``cost``.

    The issue's question about a multi-objective search: is there a model nearly as good
    at a fraction of the size (or latency)? An empty list answers no.
    """
    if not front:
        return []
    best = max(front, key=lambda t: t.objective)
    return [
        t
        for t in front
        if t is not best
        # abs: a minimised metric's objective (its utility) is negative.
        and t.objective >= best.objective - tolerance * abs(best.objective)
        and cost.value(t) <= size * cost.value(best)
    ]
