"""Weighted draws equal to numpy's ``Generator.choice(n, p=p)``, draw for draw, faster.

``choice`` inverts the cumulative distribution with a binary search over all ``n``
categories per draw: on millions of draws from a large catalogue those cache-missing
searches are most of the synthetic generator's time. A guide table (the first category of
each of ``2**k`` equal slices of ``[0, 1)``) narrows each search to a few categories. The
uniforms, the cumulative distribution and the comparison are ``choice``'s own, so the draws
and the generator's state afterwards are identical and seeded data does not change.
"""

from __future__ import annotations

import numpy as np

_SLICES_PER_CATEGORY = 4  # guide-table size over categories: more slices, shorter searches


class WeightedDraw:
    """Draws category indices ``0..n-1`` with probabilities ``p``.

    Args:
        p: Probabilities (non-negative, summing to one as ``choice`` requires).
    """

    def __init__(self, p: np.ndarray) -> None:
        cdf = np.asarray(p, dtype=np.float64).cumsum()
        cdf /= cdf[-1]  # as choice normalises it
        self.cdf = cdf
        self.slices = 1 << int(np.ceil(np.log2(len(cdf) * _SLICES_PER_CATEGORY)))
        # Power-of-two slices: u * slices and the slice edges are exact in floating point.
        edges = np.arange(self.slices + 1, dtype=np.float64) / self.slices
        self.guide = cdf.searchsorted(edges, side="right")

    def __call__(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws: ``rng.choice(len(p), size=size, p=p)``, the same values."""
        u = rng.random(size)
        slice_ = (u * self.slices).astype(np.intp)
        # The answer, the number of cdf values <= u, lies between the slice edges' answers.
        low, high = self.guide[slice_], self.guide[slice_ + 1]
        open_ = np.flatnonzero(low < high)
        while len(open_):
            lo, hi, target = low[open_], high[open_], u[open_]
            mid = (lo + hi) >> 1
            right = self.cdf[mid] <= target
            lo, hi = np.where(right, mid + 1, lo), np.where(right, hi, mid)
            low[open_], high[open_] = lo, hi
            open_ = open_[lo < hi]
        return low
