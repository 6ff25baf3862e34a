"""A strategy without a YAML file still composes with Hydra, from its signature."""

from __future__ import annotations

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore

from lgnas.config import config_dir
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
