"""The sweeper's config node, ``hydra/sweeper=lgnas`` (Hydra imports this module to find it)."""

# No `from __future__ import annotations`: OmegaConf reads these field types at run time, and
# Hydra imports this module in a way that string annotations cannot be resolved.
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore


@dataclass
class LgnasSweeperConf:
    """Settings of :class:`~hydra_plugins.lgnas_sweeper.sweeper.LgnasSweeper`.

    Attributes:
        strategy: ``name`` of an lgnas strategy (genetic, pso, rl, random or a plugin's) and
            its constructor options, e.g. ``{name: pso, swarm_size: 4}``.
        trials: Jobs launched in all.
        batch_size: Jobs launched together, one generation, through Hydra's launcher.
        direction: ``minimize`` or ``maximize`` the app's return value.
        seed: Seeds the strategy.
        params: Config key -> Hydra sweep, as on the command line: ``choice(a,b)``,
            ``range(1,8)``, ``interval(0,1)``, ``tag(log,interval(1e-4,1e-1))``,
            ``int(interval(1,64))``; command-line sweeps are added to these.
    """

    _target_: str = "hydra_plugins.lgnas_sweeper.sweeper.LgnasSweeper"
    strategy: dict[str, Any] = field(default_factory=lambda: {"name": "genetic"})
    trials: int = 20
    batch_size: int = 4
    direction: str = "minimize"
    seed: int = 0
    params: dict[str, str] | None = None


ConfigStore.instance().store(
    group="hydra/sweeper", name="lgnas", node=LgnasSweeperConf, provider="lgnas_sweeper"
)
