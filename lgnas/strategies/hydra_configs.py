"""Hydra configs for strategies that ship no ``conf/strategy/<name>.yaml`` (plugins).

``+strategy=<name>`` then works for any installed strategy, with ``strategy.<param>=...``
overrides, without the plugin editing lgnas's ``conf/``: the node is generated from the
class's constructor signature, the single source of truth for its parameters. A parameter
without a default becomes mandatory (``???``): the run stops and names it until it is set.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from importlib.metadata import EntryPoint
from pathlib import Path

from hydra.core.config_store import ConfigStore

from lgnas.config import config_dir
from lgnas.strategies.registry import MISSING, available, strategy_params


def register_strategy_configs(entry_points: Iterable[EntryPoint] | None = None) -> list[str]:
    """Store a ``strategy/<name>`` node for each strategy without a YAML file; their names.

    Only those strategies are imported. A plugin that fails to import is skipped here and
    reported with a clear error when it is chosen.
    """
    shipped = {p.stem for p in (Path(config_dir()) / "strategy").glob("*.yaml")}
    store = ConfigStore.instance()
    registered = []
    for name, info in available(entry_points).items():
        if name in shipped:
            continue
        try:
            params = strategy_params(info.load())
        except Exception:  # noqa: BLE001 - reported when the strategy is chosen
            continue
        node = {k: MISSING if v is inspect.Parameter.empty else v for k, v in params.items()}
        store.store(group="strategy", name=name, node={"name": name, **node})
        registered.append(name)
    return registered
