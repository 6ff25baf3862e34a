"""Optuna's samplers as lgnas strategies: ``optuna_tpe``, ``optuna_cmaes``, ``optuna_nsga2``.

Optuna itself is imported only when a strategy is built, so listing strategies stays fast.
"""

from __future__ import annotations

from lgnas_optuna.samplers import CmaEsSearch, NSGA2Search, TPESearch
from lgnas_optuna.study import OptunaSearch

__all__ = ["CmaEsSearch", "NSGA2Search", "OptunaSearch", "TPESearch"]
