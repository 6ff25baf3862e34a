"""Nevergrad's optimisers as lgnas strategies: conformance and the space translation."""

from __future__ import annotations

import nevergrad as ng
import numpy as np
import pytest
from lgnas_nevergrad.parametrization import parametrization, to_point, to_value

from lgnas.errors import ConfigError
from lgnas.space import load_space
from lgnas.strategies import available, make_strategy
from lgnas.testing import StrategyConformance
from lgnas.trials import TrialResult

OPTIMIZERS = ["NGOpt", "TwoPointsDE", "PortfolioDiscreteOnePlusOne", "PSO"]


class TestNevergradConformance(StrategyConformance):
    @pytest.fixture(params=OPTIMIZERS)
    def make(self, request: pytest.FixtureRequest):  # type: ignore[override]
        return self.factory("nevergrad", optimizer=request.param)


def test_the_plugin_registers_the_strategy() -> None:
    assert available()["nevergrad"].distribution == "lgnas-nevergrad"


def test_every_candidate_value_is_a_valid_point_and_round_trips() -> None:
    space = load_space("default")
    params = parametrization(space)
    params.random_state = np.random.RandomState(0)
    assert "op[3]" in params.value and "heads" in params.value  # every gene that can be active
    for _ in range(30):
        value = params.sample().value
        point = to_point(space, value)
        assert space.validate(point) == point
        assert to_point(space, to_value(space, point, params.value)) == point


def test_failed_trials_are_ranked_last() -> None:
    space = load_space("tiny")
    strategy = make_strategy("nevergrad", space, optimizer="TwoPointsDE")
    first, second = strategy.ask(2)
    strategy.tell(first, TrialResult.failure("diverged"))
    strategy.tell(second, TrialResult(-3.0))
    recommended = strategy._optimizer.provide_recommendation()
    assert to_point(space, recommended.value) == second.point


def test_unknown_optimizer_names_close_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown optimizer 'TwoPointDE'.*'TwoPointsDE'"):
        make_strategy("nevergrad", load_space("tiny"), optimizer="TwoPointDE")


def test_optimizer_is_the_one_named() -> None:
    strategy = make_strategy("nevergrad", load_space("tiny"), optimizer="PSO")
    assert isinstance(strategy._optimizer, type(ng.optimizers.registry["PSO"](1, 1)))
