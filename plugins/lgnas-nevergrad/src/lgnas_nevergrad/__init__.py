"""Nevergrad's optimisers as the lgnas strategy ``nevergrad`` (``strategy.optimizer=NAME``).

Nevergrad itself is imported only when a strategy is built, so listing strategies stays fast.
"""

from __future__ import annotations

from lgnas_nevergrad.optimizer import NevergradSearch

__all__ = ["NevergradSearch"]
