"""Deprecated alias of :mod:`lgnas.trials.trial`, kept for one release; import from
:mod:`lgnas.trials` instead."""

from __future__ import annotations

import warnings

from lgnas.trials.trial import (
    Candidate,
    Point,
    TrialResult,
    trial_folder,
)

__all__ = [
    "Candidate",
    "Point",
    "TrialResult",
    "trial_folder",
]

warnings.warn(
    "lgnas.search.trial is deprecated and will be removed in the next release; import from "
    "lgnas.trials (module lgnas.trials.trial) instead",
    DeprecationWarning,
    stacklevel=2,
)
