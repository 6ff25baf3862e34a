"""Pareto dominance between objective vectors (every coordinate maximised): NSGA-II's sorting.

Shared by the genetic strategy's multi-objective selection and the report's Pareto set, so
both agree on what "dominated" means. Deb et al., "A fast and elitist multiobjective genetic
algorithm: NSGA-II", IEEE TEC 2002.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Vector = Sequence[float]


def dominates(a: Vector, b: Vector) -> bool:
    """Whether ``a`` is at least as good as ``b`` everywhere and better somewhere."""
    return all(x >= y for x, y in zip(a, b)) and any(x > y for x, y in zip(a, b))


def nondominated_fronts(vectors: Sequence[Vector]) -> list[list[int]]:
    """Indices of ``vectors`` sorted into fronts: front 0 is dominated by none, front k by
    some of front k-1. Each front lists its indices in increasing order.

    The quadratic bookkeeping of NSGA-II; populations and journals are small.
    """
    dominated_by = [0] * len(vectors)  # how many vectors dominate each one
    beats: list[list[int]] = [[] for _ in vectors]  # which vectors each one dominates
    for i, a in enumerate(vectors):
        for j in range(i + 1, len(vectors)):
            if dominates(a, vectors[j]):
                beats[i].append(j)
                dominated_by[j] += 1
            elif dominates(vectors[j], a):
                beats[j].append(i)
                dominated_by[i] += 1
    fronts = []
    current = [i for i, count in enumerate(dominated_by) if count == 0]
    while current:
        fronts.append(sorted(current))
        following = []
        for i in current:
            for j in beats[i]:
                dominated_by[j] -= 1
                if dominated_by[j] == 0:
                    following.append(j)
        current = following
    return fronts


def crowding_distance(vectors: Sequence[Vector]) -> list[float]:
    """NSGA-II's crowding distance of each vector within its front (pass one front).

    Per objective, the front is sorted and each member gets the gap between its neighbours
    divided by the objective's range; the extremes get infinity so they are always kept.
    Larger means lonelier, i.e. more worth keeping for a spread-out front.
    """
    count = len(vectors)
    distance = [0.0] * count
    if count <= 2:
        return [math.inf] * count
    for axis in range(len(vectors[0])):
        order = sorted(range(count), key=lambda i: vectors[i][axis])
        low, high = vectors[order[0]][axis], vectors[order[-1]][axis]
        distance[order[0]] = distance[order[-1]] = math.inf
        if high == low:
            continue
        for before, here, after in zip(order, order[1:], order[2:]):
            distance[here] += (vectors[after][axis] - vectors[before][axis]) / (high - low)
    return distance


def crowded_ranks(vectors: Sequence[Vector | None]) -> list[tuple[int, float]]:
    """Each vector's NSGA-II sort key ``(-front, crowding)``: larger is better.

    ``None`` (a failed trial) ranks in a front below every vector.
    """
    present = [i for i, v in enumerate(vectors) if v is not None]
    fronts = nondominated_fronts([vectors[i] for i in present])  # type: ignore[misc]
    keys: list[tuple[int, float]] = [(-(len(fronts) + 1), 0.0)] * len(vectors)
    for rank, front in enumerate(fronts):
        members = [present[i] for i in front]
        for member, crowd in zip(members, crowding_distance([vectors[m] for m in members])):  # type: ignore[misc]
            keys[member] = (-rank, crowd)
    return keys
