"""How much each design choice explains of the search objective, with bootstrap uncertainty.

The measure is the first-order (main-effect) variance share of a dimension, the quantity
fANOVA estimates, taken on the trials themselves: the variance of the per-level mean
objectives, weighted by level size, over the total variance (eta squared). Few trials and
many levels inflate it, so the share expected by chance (the objective shuffled across
trials) is reported beside it and subtracted for the ranking; a 90% bootstrap interval over
trials says how sure the estimate is. Adaptive strategies sample good regions more often, so
shares describe the trials the search ran, not the whole space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lgnas.report.trials import TrialRecord

INACTIVE = "—"  # level of a conditional dimension that a point does not use
NUMERIC_BINS = 4  # numeric dimensions with more distinct values are cut into quartiles
MAX_LEVELS = 6


@dataclass(frozen=True)
class LevelMean:
    """The mean objective of the trials that took one level of a dimension, with its CI."""

    level: str
    count: int
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class DimensionImportance:
    """One dimension's share of the objective's variance.

    Attributes:
        name: Dimension (``op[2]``: the second layer of a per-layer dimension).
        share: Variance share (eta squared) on the trials.
        low, high: 90% bootstrap interval of ``share``.
        chance: Expected share when the objective is unrelated to the dimension.
        levels: Mean objective per level, best first.
    """

    name: str
    share: float
    low: float
    high: float
    chance: float
    levels: tuple[LevelMean, ...]

    @property
    def excess(self) -> float:
        """Share beyond chance; the ranking key."""
        return self.share - self.chance


def design_features(points: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Each dimension as one level label per point.

    Per-layer dimensions become one feature per layer (``op[1]``, ``op[2]``, ...); a
    dimension a point does not use gets the level ``—``; numeric dimensions with more than
    :data:`MAX_LEVELS` distinct values are binned into quartiles (labels show the range).
    """
    names = list(dict.fromkeys(name for point in points for name in point))
    features: dict[str, list[str]] = {}
    for name in names:
        values = [point.get(name) for point in points]
        if any(isinstance(v, list) for v in values):
            depth = max(len(v) for v in values if isinstance(v, list))
            for layer in range(depth):
                column = [
                    v[layer] if isinstance(v, list) and layer < len(v) else None for v in values
                ]
                features[f"{name}[{layer + 1}]"] = _labels(column)
        else:
            features[name] = _labels(values)
    return features


def _has_layer(value: Any, layer: int) -> bool:
    return isinstance(value, list) and layer < len(value)


def _labels(values: list[Any]) -> list[str]:
    numeric = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numeric) == len([v for v in values if v is not None]) and len(set(numeric)) > MAX_LEVELS:
        edges = np.quantile(numeric, np.linspace(0, 1, NUMERIC_BINS + 1))
        bins = [f"{edges[b]:.3g}–{edges[b + 1]:.3g}" for b in range(NUMERIC_BINS)]
        return [
            INACTIVE
            if v is None
            else bins[min(int(np.searchsorted(edges, v, side="right")) - 1, NUMERIC_BINS - 1)]
            for v in values
        ]
    return [INACTIVE if v is None else str(v) for v in values]


def variance_share(objective: np.ndarray, codes: np.ndarray, num_levels: int) -> float:
    """Eta squared: between-level variance of ``objective`` over its total variance."""
    total = float(((objective - objective.mean()) ** 2).sum())
    if total <= 0.0:
        return 0.0
    counts = np.bincount(codes, minlength=num_levels)
    sums = np.bincount(codes, weights=objective, minlength=num_levels)
    used = counts > 0
    means = sums[used] / counts[used]
    return float((counts[used] * (means - objective.mean()) ** 2).sum() / total)


def design_importance(
    trials: Sequence[TrialRecord],
    *,
    resamples: int = 500,
    permutations: int = 200,
    seed: int = 0,
) -> list[DimensionImportance]:
    """Importance of every dimension that varied, most important (beyond chance) first.

    Failed trials are left out; fewer than 4 successful trials or a constant objective give
    an empty list (nothing can be said).
    """
    trials = [t for t in trials if t.ok]
    if len(trials) < 4:
        return []
    objective = np.array([t.objective for t in trials], dtype=float)
    if np.ptp(objective) == 0.0:
        return []
    rng = np.random.default_rng(seed)
    n = len(objective)
    boot = rng.integers(0, n, size=(resamples, n))
    shuffles = np.array([rng.permutation(n) for _ in range(permutations)])
    results = []
    for name, labels in design_features([t.point for t in trials]).items():
        levels, codes = np.unique(np.array(labels, dtype=str), return_inverse=True)
        if len(levels) < 2:
            continue
        share = variance_share(objective, codes, len(levels))
        shares = [variance_share(objective[rows], codes[rows], len(levels)) for rows in boot]
        chance = np.mean([variance_share(objective[p], codes, len(levels)) for p in shuffles])
        results.append(
            DimensionImportance(
                name=name,
                share=share,
                low=float(np.quantile(shares, 0.05)),
                high=float(np.quantile(shares, 0.95)),
                chance=float(chance),
                levels=_level_means(objective, codes, levels, rng, resamples),
            )
        )
    return sorted(results, key=lambda d: -d.excess)


def _level_means(
    objective: np.ndarray,
    codes: np.ndarray,
    levels: np.ndarray,
    rng: np.random.Generator,
    resamples: int,
) -> tuple[LevelMean, ...]:
    means = []
    for code, level in enumerate(levels):
        values = objective[codes == code]
        draws = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(1)
        means.append(
            LevelMean(
                level=str(level),
                count=len(values),
                mean=float(values.mean()),
                low=float(np.quantile(draws, 0.05)),
                high=float(np.quantile(draws, 0.95)),
            )
        )
    return tuple(sorted(means, key=lambda m: -m.mean))
