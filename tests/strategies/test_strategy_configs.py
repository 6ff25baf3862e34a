"""Each conf/strategy YAML mirrors its class's constructor, the source of truth."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.strategies import load_strategy, strategy_params


@pytest.mark.parametrize("name", ["random", "genetic", "pso", "rl"])
def test_yaml_keys_and_defaults_equal_the_constructor(name: str) -> None:
    cfg = OmegaConf.to_container(OmegaConf.load(f"{config_dir()}/strategy/{name}.yaml"))
    assert cfg.pop("name") == name
    assert cfg == strategy_params(load_strategy(name))


def test_the_staged_yaml_mirrors_its_constructor_and_takes_the_search_budget() -> None:
    cfg = OmegaConf.to_container(OmegaConf.load(f"{config_dir()}/strategy/staged.yaml"))
    assert cfg.pop("name") == "staged"
    assert cfg.pop("trials") == "${search.trials}"  # stages are planned from the budget
    params = strategy_params(load_strategy("staged"))
    assert params.pop("trials") == 16  # search.trials' default
    assert cfg.pop("propagate") == "${search.propagated_layers}"  # as the finalists
    assert params.pop("propagate") == 2  # search.propagated_layers' default
    assert cfg == params
