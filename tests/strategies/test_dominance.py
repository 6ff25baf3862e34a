"""NSGA-II's non-dominated sorting and crowding distance on hand-made fronts."""

from __future__ import annotations

import math

import pytest

from lgnas.trials import (
    crowded_ranks,
    crowding_distance,
    dominates,
    nondominated_fronts,
)


def test_dominance_needs_better_somewhere_and_worse_nowhere() -> None:
    assert dominates((2, 2), (1, 2)) and not dominates((1, 2), (2, 2))
    assert not dominates((1, 1), (1, 1))  # equal: neither dominates
    assert not dominates((3, 0), (0, 3)) and not dominates((0, 3), (3, 0))


def test_fronts_peel_off_layer_by_layer() -> None:
    vectors = [(3, 1), (2, 2), (1, 3), (2, 1), (1, 1), (1, 3), (0, 0)]
    # (2, 1) is beaten by (3, 1) and (2, 2); (1, 1) also by (2, 1); (1, 3) twice: both front 0.
    assert nondominated_fronts(vectors) == [[0, 1, 2, 5], [3], [4], [6]]
    assert nondominated_fronts([]) == []


def test_crowding_distance_sums_normalised_neighbour_gaps_and_keeps_extremes() -> None:
    front = [(1, 5), (2, 3), (4, 2), (6, 1)]
    # x: range 5, (4-1)/5 and (6-2)/5; y: range 4, (5-2)/4 and (3-1)/4.
    assert crowding_distance(front) == pytest.approx([math.inf, 0.6 + 0.75, 0.8 + 0.5, math.inf])
    assert crowding_distance([(1, 2), (2, 1)]) == [math.inf, math.inf]


def test_crowded_ranks_order_by_front_then_crowding_with_failures_last() -> None:
    vectors = [(1, 5), (2, 3), None, (4, 2), (6, 1), (1, 1)]
    keys = crowded_ranks(vectors)
    assert keys[0] == (0, math.inf) and keys[4] == (0, math.inf)
    assert keys[1] == (0, pytest.approx(1.35)) and keys[3] == (0, pytest.approx(1.3))
    assert keys[5][0] == -1  # dominated by (2, 3)
    assert keys[2] < keys[5]  # a failed trial ranks below every front
    best_first = sorted(range(len(vectors)), key=keys.__getitem__, reverse=True)
    assert best_first[-3:] == [3, 5, 2]
