"""Every registered strategy, built-in or plugin, passes the conformance suite."""

from __future__ import annotations

import pytest

from lgnas.strategies import available
from lgnas.testing import StrategyConformance


class TestEveryRegisteredStrategy(StrategyConformance):
    @pytest.fixture(params=sorted(available()))
    def make(self, request: pytest.FixtureRequest):  # type: ignore[override]
        return self.factory(request.param)
