"""Test helpers shipped with lgnas, so plugins test their strategies the way lgnas does."""

from __future__ import annotations

from lgnas.testing.entry_points import strategy_entry_point
from lgnas.testing.strategy_suite import StrategyConformance, run, synthetic_objective

__all__ = ["StrategyConformance", "run", "strategy_entry_point", "synthetic_objective"]
