"""Strategies found through the ``lgnas.strategies`` entry-point group, built-ins included.

Third-party packages register a strategy exactly as lgnas registers its own::

    [project.entry-points."lgnas.strategies"]
    my_strategy = "my_package.module:MyStrategy"

One broken plugin never breaks the others: a plugin that fails to import, or whose class is
not a complete :class:`SearchStrategy`, fails only when it is chosen, with an error naming its
package. A name lgnas's own strategies use stays theirs (the plugin's registration is ignored
and reported); a name two plugins claim is refused for both, since which one wins would
depend on the install order.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from importlib import metadata
from importlib.metadata import EntryPoint
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy

GROUP = "lgnas.strategies"
OWNER = "lgnas"  # the distribution whose strategy names no plugin can take
_RUNTIME_PARAMS = ("self", "space", "seed")  # given by the search loop, not by config
MISSING = "???"  # how a config marks a mandatory parameter left unset (OmegaConf's MISSING)


@dataclass(frozen=True)
class StrategyInfo:
    """A registered strategy, described without importing it.

    Attributes:
        name: The name configs use (``strategy.name``).
        value: ``module:attribute`` of the class.
        distribution: The installed package that registers it (``None`` if unknown).
        version: That package's version.
        problem: Why the strategy cannot be used though its name is listed (a name two
            packages claim); ``None`` when it can.
    """

    name: str
    value: str
    distribution: str | None
    version: str | None
    entry_point: Any = field(repr=False, compare=False)
    problem: str | None = field(default=None, compare=False)

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
        """Import the class; :class:`ConfigError` naming the package if that fails or the
        class is not a complete :class:`SearchStrategy`."""
        if self.problem is not None:
            raise ConfigError(self.problem)
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
        if inspect.isabstract(cls):
            missing = sorted(getattr(cls, "__abstractmethods__", ()))
            raise ConfigError(
                f"strategy {self.name!r} from {self.origin} does not implement "
                f"{', '.join(missing)} of lgnas.strategies.SearchStrategy; the package must "
                "define them (see lgnas.testing.StrategyConformance)"
            )
        problem = multi_objective_problem(cls)
        if problem is not None:
            raise ConfigError(f"strategy {self.name!r} from {self.origin} {problem}")
        return cls

    def summary(self) -> str:
        """The first line of the class docstring (imports the class)."""
        doc = inspect.getdoc(self.load()) or ""
        return doc.splitlines()[0] if doc else ""


@dataclass(frozen=True)
class Registry:
    """What the entry points register.

    Attributes:
        strategies: Every usable name, sorted; a name two plugins claim is kept, with its
            :attr:`StrategyInfo.problem`, so choosing it says why it cannot be used.
        ignored: Plugin registrations of a name lgnas's own strategies use.
    """

    strategies: dict[str, StrategyInfo]
    ignored: list[StrategyInfo]


def scan(entry_points: Iterable[EntryPoint] | None = None) -> Registry:
    """Read the registered strategies without importing any of them.

    Args:
        entry_points: The entry points to read instead of the installed ones (a test seam);
            anything with ``name``, ``value``, ``load()`` and optionally ``dist``.
    """
    claims: dict[str, list[StrategyInfo]] = {}
    for ep in metadata.entry_points(group=GROUP) if entry_points is None else entry_points:
        dist = getattr(ep, "dist", None)
        info = StrategyInfo(
            name=ep.name,
            value=ep.value,
            distribution=getattr(dist, "name", None),
            version=getattr(dist, "version", None),
            entry_point=ep,
        )
        same = claims.setdefault(info.name, [])
        # One package seen twice on sys.path (say a venv over system site-packages) is one claim.
        if all((c.value, c.distribution) != (info.value, info.distribution) for c in same):
            same.append(info)
    strategies, ignored = {}, []
    for name, infos in sorted(claims.items()):
        owned = [i for i in infos if i.distribution == OWNER]
        if owned and len(infos) > 1:
            strategies[name] = owned[0]
            ignored.extend(i for i in infos if i.distribution != OWNER)
        elif len(infos) > 1:
            strategies[name] = replace(infos[0], problem=_claimed_twice(name, infos))
        else:
            strategies[name] = infos[0]
    return Registry(strategies, ignored)


def _claimed_twice(name: str, infos: list[StrategyInfo]) -> str:
    origins = " and by ".join(i.origin for i in infos)
    return (
        f"strategy name {name!r} is registered twice: by {origins}; uninstall one package or "
        f"rename its entry point in group {GROUP!r}"
    )


def ignored_message(info: StrategyInfo) -> str:
    """Why a plugin's registration of a built-in name is ignored, and what to do."""
    return (
        f"{info.origin} registers strategy {info.name!r}, a name of lgnas's own strategies; "
        f"it is ignored: rename its entry point in group {GROUP!r}"
    )


def available(entry_points: Iterable[EntryPoint] | None = None) -> dict[str, StrategyInfo]:
    """Every registered strategy by name, sorted, imported lazily (see :func:`scan`)."""
    return scan(entry_points).strategies


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


def multi_objective_problem(cls: type[SearchStrategy]) -> str | None:
    """Why ``cls`` cannot take a search's objectives though it declares
    ``supports_multi_objective``; ``None`` when it can or does not declare it.

    The search passes ``search.objectives`` as ``objectives=[...]``, and leaves it unset (the
    config's ``null``) for a single objective, so the parameter must exist and default to
    ``None``.
    """
    if not cls.supports_multi_objective:
        return None
    params = strategy_params(cls)
    if "objectives" not in params:
        return (
            "declares supports_multi_objective = True but its constructor has no `objectives` "
            "parameter; add `objectives: Sequence[str] | None = None` (a search passes "
            "search.objectives there) or drop the flag to be scalarised"
        )
    if params["objectives"] is not None:
        return (
            "declares supports_multi_objective = True, so its `objectives` parameter must "
            f"default to None (a single objective), not {params['objectives']!r}"
        )
    return None


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
        k
        for k, v in valid.items()
        if v is inspect.Parameter.empty and params.get(k, MISSING) == MISSING
    )
    if missing:
        raise ConfigError(
            f"strategy {name!r} needs parameter(s) {missing}; set them, e.g. "
            f"strategy.{missing[0]}=..."
        )
    return cls(space, seed=seed, **{k: v for k, v in params.items() if v != MISSING})
