"""Strategies found through the ``lgnas.strategies`` entry-point group, built-ins included.

Third-party packages register a strategy exactly as lgnas registers its own::

    [project.entry-points."lgnas.strategies"]
    my_strategy = "my_package.module:MyStrategy"
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from importlib.metadata import EntryPoint
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy

GROUP = "lgnas.strategies"
_RUNTIME_PARAMS = ("self", "space", "seed")  # given by the search loop, not by config


@dataclass(frozen=True)
class StrategyInfo:
    """A registered strategy, described without importing it.

    Attributes:
        name: The name configs use (``strategy.name``).
        value: ``module:attribute`` of the class.
        distribution: The installed package that registers it (``None`` if unknown).
        version: That package's version.
    """

    name: str
    value: str
    distribution: str | None
    version: str | None
    entry_point: Any = field(repr=False, compare=False)

    @property
    def module(self) -> str:
        """The module that defines the class."""
        return self.value.partition(":")[0].strip()

    @property
    def origin(self) -> str:
        """``package version (module:attribute)``, for messages."""
        package = self.distribution or "an unknown package"
        version = f" {self.version}" if self.version else ""
        return f"{package}{version} ({self.value})"

    def load(self) -> type[SearchStrategy]:
        """Import the class; :class:`ConfigError` naming the package if that fails."""
        try:
            cls = self.entry_point.load()
        except Exception as err:  # a plugin can fail in any way while importing
            raise ConfigError(
                f"strategy {self.name!r} from {self.origin} failed to import: "
                f"{type(err).__name__}: {err}"
            ) from err
        if not (isinstance(cls, type) and issubclass(cls, SearchStrategy)):
            raise ConfigError(
                f"strategy {self.name!r} from {self.origin} is {cls!r}, not a subclass of "
                "lgnas.strategies.SearchStrategy"
            )
        return cls

    def summary(self) -> str:
        """The first line of the class docstring (imports the class)."""
        doc = inspect.getdoc(self.load()) or ""
        return doc.splitlines()[0] if doc else ""


def available(entry_points: Iterable[EntryPoint] | None = None) -> dict[str, StrategyInfo]:
    """Every registered strategy by name, sorted, imported lazily.

    Args:
        entry_points: The entry points to read instead of the installed ones (a test seam);
            anything with ``name``, ``value``, ``load()`` and optionally ``dist``.

    Raises:
        ConfigError: Two packages register the same name.
    """
    found: dict[str, StrategyInfo] = {}
    for ep in metadata.entry_points(group=GROUP) if entry_points is None else entry_points:
        dist = getattr(ep, "dist", None)
        info = StrategyInfo(
            name=ep.name,
            value=ep.value,
            distribution=getattr(dist, "name", None),
            version=getattr(dist, "version", None),
            entry_point=ep,
        )
        other = found.get(info.name)
        if other is not None and (other.value, other.distribution) != (
            info.value,
            info.distribution,
        ):
            raise ConfigError(
                f"strategy name {info.name!r} is registered twice: by {other.origin} and by "
                f"{info.origin}; uninstall one package or rename its entry point in group "
                f"{GROUP!r}"
            )
        found[info.name] = info
    return dict(sorted(found.items()))


def load_strategy(
    name: str, entry_points: Iterable[EntryPoint] | None = None
) -> type[SearchStrategy]:
    """The strategy class registered as ``name``."""
    registered = available(entry_points)
    if name not in registered:
        raise ConfigError(
            f"unknown search strategy {name!r}; available strategies are {sorted(registered)}. "
            f"Plugins register theirs in the entry-point group {GROUP!r}."
        )
    return registered[name].load()


def strategy_params(cls: type[SearchStrategy]) -> dict[str, Any]:
    """A strategy's configurable parameters and defaults, read from its constructor.

    The class signature is the single source of truth for its config (``conf/strategy/``).
    """
    params = inspect.signature(cls.__init__).parameters.values()
    return {
        p.name: p.default
        for p in params
        if p.name not in _RUNTIME_PARAMS and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def make_strategy(
    name: str,
    space: SearchSpace,
    seed: int = 0,
    entry_points: Iterable[EntryPoint] | None = None,
    **params: Any,
) -> SearchStrategy:
    """Build the strategy registered as ``name``; unknown parameters are refused by name."""
    cls = load_strategy(name, entry_points)
    valid = strategy_params(cls)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ConfigError(
            f"strategy {name!r} has no parameter(s) {unknown}; its parameters are {sorted(valid)}"
        )
    missing = sorted(
        k for k, v in valid.items() if v is inspect.Parameter.empty and k not in params
    )
    if missing:
        raise ConfigError(f"strategy {name!r} needs parameter(s) {missing}")
    return cls(space, seed=seed, **params)
