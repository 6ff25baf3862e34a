"""Deprecated alias of :mod:`lgnas.trials.objectives`, kept for one release; import from
:mod:`lgnas.trials` instead."""

from __future__ import annotations

import warnings

from lgnas.trials.objectives import (
    COSTS,
    EXAMPLE,
    Objective,
    Scored,
    parse_objectives,
    utilities,
)

__all__ = [
    "COSTS",
    "EXAMPLE",
    "Objective",
    "Scored",
    "parse_objectives",
    "utilities",
]

warnings.warn(
    "lgnas.search.objectives is deprecated and will be removed in the next release; import from "
    "lgnas.trials (module lgnas.trials.objectives) instead",
    DeprecationWarning,
    stacklevel=2,
)
