"""Which part of lgnas consumes each dimension: the architecture or the training recipe.

A space may only declare dimensions something reads, with values that reader accepts, so a
typo in a space file fails when the space loads instead of after hours of search.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space._dimensions import Categorical, Dimension


def training_keys() -> tuple[str, ...]:
    """Fields of :class:`~lgnas.models.optim.Optim`, the training keys a space may search."""
    from lgnas.models.optim import optim_keys  # lazy: lgnas.models imports lightning

    return optim_keys()


LAYER_COUNT = "num_layers"  # the Architecture field per-layer lists are sized by


def architecture_keys() -> tuple[str, ...]:
    """Fields of :class:`~lgnas.models.Architecture`, the keys that build the architecture."""
    from lgnas.models.architecture import Architecture  # lazy: lgnas.models imports lightning

    return tuple(f.name for f in fields(Architecture))


def per_layer_keys() -> tuple[str, ...]:
    """Architecture fields that take one value per layer (typed ``tuple[...] | str``)."""
    from lgnas.models.architecture import Architecture

    return tuple(f.name for f in fields(Architecture) if str(f.type).startswith("tuple"))


def split_point(point: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a point into ``Architecture`` keyword arguments and ``optim`` overrides.

    Returns:
        ``(architecture kwargs, optim kwargs)``; per-layer values stay lists, and
        architecture keys the point leaves out (inactive dimensions) take their defaults.
    """
    arch_keys, train_keys = architecture_keys(), training_keys()
    unknown = sorted(set(point) - set(arch_keys) - set(train_keys))
    if unknown:
        raise ConfigError(
            f"point key(s) {unknown} are read neither by the architecture nor "
            f"by training; valid keys are {sorted({*arch_keys, *train_keys})}"
        )
    arch = {
        k: list(v) if isinstance(v, (list, tuple)) else v
        for k, v in point.items()
        if k in arch_keys
    }
    return arch, {k: v for k, v in point.items() if k in train_keys}


def check_consumed(dimensions: Iterable[Dimension]) -> None:
    """Refuse dimensions no consumer reads, wrong per-layer use, and values consumers reject."""
    arch_keys, layered = architecture_keys(), per_layer_keys()
    valid = sorted({*arch_keys, *training_keys()})
    for dim in dimensions:
        if dim.name not in valid:
            raise ConfigError(
                f"search space dimension {dim.name!r}: no part of lgnas reads this key; "
                f"valid dimension names are {valid}"
            )
        if dim.per_layer is not None and dim.name not in layered:
            raise ConfigError(
                f"search space dimension {dim.name!r}: the architecture takes one value for it, "
                f"so it cannot be per_layer; per-layer keys are {list(layered)}"
            )
        if dim.per_layer not in (None, LAYER_COUNT):
            raise ConfigError(
                f"search space dimension {dim.name!r}: per_layer must be {LAYER_COUNT!r}, "
                f"the architecture's layer count, not {dim.per_layer!r}"
            )
        check = _check_architecture_value if dim.name in arch_keys else _check_training_value
        for value in _probe_values(dim):
            try:
                check(dim.name, value)
            except ConfigError as err:
                raise ConfigError(f"search space dimension {dim.name!r}: {err}") from None


def _probe_values(dim: Dimension) -> tuple[Any, ...]:
    """Every choice of a categorical dimension; both ends of a numeric one."""
    if isinstance(dim, Categorical):
        return dim.choices
    return (dim.low, dim.high)  # type: ignore[attr-defined]


def _check_architecture_value(key: str, value: Any) -> None:
    from lgnas.models.architecture import Architecture

    Architecture.from_dict({key: value})  # per-layer keys broadcast a single value


def _check_training_value(key: str, value: Any) -> None:
    from lgnas.models.optim import Optim

    Optim.from_dict({key: value})
