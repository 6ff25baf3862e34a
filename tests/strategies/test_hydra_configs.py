"""A strategy without a YAML file still composes with Hydra, from its signature."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.errors import ConfigError
from lgnas.space import load_space
from lgnas.strategies import make_strategy
from lgnas.strategies.hydra_configs import register_strategy_configs
from lgnas.testing import strategy_entry_point as entry_point


def test_plugin_strategy_gets_a_config_from_its_signature() -> None:
    plugin = entry_point("local_random", "lgnas.strategies.random:RandomSearch", "lgnas-demo")
    broken = entry_point("broken", "lgnas_no_such_plugin:Strategy", "lgnas-broken")
    try:
        registered = register_strategy_configs([plugin, broken])
        assert registered == ["local_random"]  # shipped YAMLs and broken plugins are skipped
        with initialize_config_dir(config_dir(), version_base=None):
            cfg = compose(
                "config", overrides=["+strategy=local_random", "strategy.deduplicate=false"]
            )
        assert dict(cfg.strategy) == {"name": "local_random", "deduplicate": False}
    finally:
        ConfigStore.instance().repo["strategy"].pop("local_random.yaml", None)


def test_a_parameter_without_default_is_mandatory_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lgnas_tmp_required.py").write_text(
        "from lgnas.strategies.random import RandomSearch\n"
        "class Required(RandomSearch):\n"
        "    '''Needs a width.'''\n"
        "    def __init__(self, space, seed=0, width=None, *, depth):\n"
        "        super().__init__(space, seed)\n"
        "        self.depth = depth\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    plugin = entry_point("required", "lgnas_tmp_required:Required", "lgnas-tmp")
    try:
        assert register_strategy_configs([plugin]) == ["required"]
        with initialize_config_dir(config_dir(), version_base=None):
            unset = compose("config", overrides=["+strategy=required"])
            chosen = compose("config", overrides=["+strategy=required", "strategy.depth=3"])
        options = OmegaConf.to_container(unset.strategy)
        assert options == {"name": "required", "width": None, "depth": "???"}
        del options["name"]
        with pytest.raises(ConfigError, match=r"'required' needs parameter\(s\) \['depth'\]; set"):
            make_strategy("required", load_space("tiny"), entry_points=[plugin], **options)
        assert chosen.strategy.depth == 3
    finally:
        ConfigStore.instance().repo["strategy"].pop("required.yaml", None)
