"""Training one candidate: :func:`fit` and its settings, results on disk, and DDP.

Every training in lgnas (``lgnas.train``, search trials, final retrains and baselines) goes
through :func:`fit`, so all of them follow the same rules.
"""

from __future__ import annotations

from lgnas.training.blend import fit_blend
from lgnas.training.ensemble import fit_ensemble
from lgnas.training.fit import fit, training_loggers
from lgnas.training.result import (
    TrainResult,
    forget_result,
    load_result,
    read_recipe,
    read_summary,
    save_result,
    write_recipe,
)
from lgnas.training.settings import EvalSettings, TrainSettings, spawned_processes

__all__ = [
    "EvalSettings",
    "TrainResult",
    "TrainSettings",
    "fit",
    "fit_blend",
    "fit_ensemble",
    "forget_result",
    "load_result",
    "read_recipe",
    "read_summary",
    "save_result",
    "spawned_processes",
    "training_loggers",
    "write_recipe",
]
