"""Test helpers shipped with lgnas, so plugins test their strategies the way lgnas does."""

from __future__ import annotations

from lgnas.testing.strategy_suite import StrategyConformance, run, synthetic_objective

__all__ = ["StrategyConformance", "run", "synthetic_objective"]
