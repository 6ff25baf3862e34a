"""The fast orderings are numpy's stable argsort and lexsort, permutation for permutation."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.graph.ordering import lexsort, stable_argsort


def _keys(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Keys of every kind the data has: small ints with many ties, ids beyond the code range,
    whole-number floats (timestamps), random floats with and without ties, NaN and inf."""
    floats = rng.random(n)
    floats[rng.random(n) < 0.3] = 0.5
    odd = rng.random(n)
    odd[rng.random(n) < 0.2] = np.nan
    odd[rng.random(n) < 0.1] = -np.inf
    return [
        rng.integers(0, 4, n),
        rng.integers(-(2**40), 2**40, n),
        rng.integers(0, 3, n).astype(np.int8),
        rng.random(n) < 0.5,
        np.floor(rng.random(n) * 50) + 1.6e9,
        rng.random(n),
        floats,
        odd,
        rng.integers(0, 2**63, n, dtype=np.uint64) * 2,
    ]


@pytest.mark.parametrize("n", [0, 1, 2, 7, 300])
def test_stable_argsort_is_numpys_stable_argsort(n: int) -> None:
    rng = np.random.default_rng(n)
    for keys in _keys(rng, n):
        np.testing.assert_array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 300])
def test_lexsort_is_numpys_lexsort(n: int) -> None:
    rng = np.random.default_rng(n)
    keys = _keys(rng, n)
    for major in keys[:5]:
        for minor in keys:
            pair = (minor, major)
            np.testing.assert_array_equal(lexsort(pair), np.lexsort(pair))
            three = (keys[(n + 3) % len(keys)], minor, major)
            np.testing.assert_array_equal(lexsort(three), np.lexsort(three))
    np.testing.assert_array_equal(lexsort((keys[0],)), np.lexsort((keys[0],)))
