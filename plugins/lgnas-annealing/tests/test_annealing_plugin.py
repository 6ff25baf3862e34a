"""The example plugin passes lgnas's conformance suite, plus tests of its own behaviour."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_dir
from lgnas_annealing import SimulatedAnnealing

from lgnas.config import config_dir
from lgnas.errors import ConfigError
from lgnas.space import load_space
from lgnas.strategies import available, make_strategy
from lgnas.strategies.hydra_configs import register_strategy_configs
from lgnas.testing import StrategyConformance, run, synthetic_objective
from lgnas.trials import TrialResult


class TestAnnealingConformance(StrategyConformance):
    """Every test of the suite, on the strategy the entry point registers."""

    strategy_name = "annealing"


def test_entry_point_registers_the_class_with_its_package() -> None:
    info = available()["annealing"]
    assert info.distribution == "lgnas-annealing"
    assert info.load() is SimulatedAnnealing


def test_cold_annealing_never_accepts_a_worse_point() -> None:
    space = load_space("tiny")
    strategy = make_strategy("annealing", space, seed=0, temperature=1e-9)
    first, second = strategy.ask(2)
    strategy.tell(first, TrialResult(1.0))
    strategy.tell(second, TrialResult(0.5))
    (child,) = strategy.ask()
    assert strategy.state_dict()["internal"]["current"] == [first.point, 1.0]
    assert child.point != first.point


def test_hot_annealing_wanders_more_than_cold() -> None:
    space = load_space("tiny")
    objective = synthetic_objective(space)
    moves = {}
    for temperature in (1e-9, 100.0):
        strategy = make_strategy("annealing", space, seed=1, temperature=temperature, cooling=1)
        states = []
        for _ in range(30):
            run(strategy, objective, 1)
            states.append(strategy.state_dict()["internal"]["current"][0])
        moves[temperature] = sum(a != b for a, b in zip(states, states[1:]))
    assert moves[100.0] > moves[1e-9]


@pytest.mark.parametrize(
    ("key", "value"), [("temperature", 0.0), ("cooling", 1.5), ("mutation_rate", 0.0)]
)
def test_bad_settings_are_refused_by_name(key: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"annealing: {key} must be"):
        make_strategy("annealing", load_space("tiny"), **{key: value})


def test_hydra_composes_its_config_from_the_signature() -> None:
    """``+strategy=annealing strategy.<param>=...`` with no YAML in lgnas's ``conf/``."""
    register_strategy_configs()
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("config", overrides=["+strategy=annealing", "strategy.cooling=0.9"])
    assert dict(cfg.strategy) == {
        "name": "annealing",
        "temperature": 0.5,
        "cooling": 0.9,
        "mutation_rate": 0.3,
    }
