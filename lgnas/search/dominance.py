"""Deprecated alias of :mod:`lgnas.trials.dominance`, kept for one release; import from
:mod:`lgnas.trials` instead."""

from __future__ import annotations

import warnings

from lgnas.trials.dominance import (
    Vector,
    crowded_ranks,
    crowding_distance,
    dominates,
    nondominated_fronts,
)

__all__ = [
    "Vector",
    "crowded_ranks",
    "crowding_distance",
    "dominates",
    "nondominated_fronts",
]

warnings.warn(
    "lgnas.search.dominance is deprecated and will be removed in the next release; import from "
    "lgnas.trials (module lgnas.trials.dominance) instead",
    DeprecationWarning,
    stacklevel=2,
)
