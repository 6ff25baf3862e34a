"""Search strategies (ask/tell), found by name through the ``lgnas.strategies`` entry points."""

from __future__ import annotations

from lgnas.strategies.base import SearchStrategy
from lgnas.strategies.registry import (
    GROUP,
    StrategyInfo,
    available,
    load_strategy,
    make_strategy,
    strategy_params,
)

__all__ = [
    "GROUP",
    "SearchStrategy",
    "StrategyInfo",
    "available",
    "load_strategy",
    "make_strategy",
    "strategy_params",
]
