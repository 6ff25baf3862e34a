"""WeightedDraw is numpy's ``Generator.choice`` with probabilities, draw for draw."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.data.weighted_draw import WeightedDraw


def _probabilities(kind: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    weights = {
        "zipf": rng.permutation(np.arange(1, n + 1, dtype=np.float64) ** -1.2),
        "uniform": np.ones(n),
        "zeros": np.where(rng.random(n) < 0.5, 0.0, rng.random(n)),  # empty categories
        "one heavy": np.r_[1e9, np.ones(n - 1)],
    }[kind]
    weights[-1] = weights[-1] or 1.0  # at least one positive weight
    return weights / weights.sum()


@pytest.mark.parametrize("kind", ["zipf", "uniform", "zeros", "one heavy"])
@pytest.mark.parametrize("n", [1, 2, 5, 1000])
def test_draws_and_the_generator_state_after_are_choices(kind: str, n: int) -> None:
    p = _probabilities(kind, n)
    ours, numpys = np.random.default_rng(7), np.random.default_rng(7)
    draw = WeightedDraw(p)
    for size in (0, 1, 20_000):
        np.testing.assert_array_equal(draw(ours, size), numpys.choice(n, size=size, p=p))
    assert ours.random() == numpys.random()
