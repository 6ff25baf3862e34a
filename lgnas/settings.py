"""Typed settings: how a config group becomes a frozen dataclass, and the checks they share.

Each entry point converts Hydra's config once, at the door, into the settings dataclasses of
the packages it drives (``Optim``, ``TrainSettings``, ``SearchSettings``, ...); below the door
modules read typed attributes only. Every dataclass validates itself in ``__post_init__``, so
a bad value is refused once, where its type is defined, with one line naming the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from lgnas.errors import ConfigError

T = TypeVar("T")


def from_mapping(cls: type[T], values: Mapping[str, Any] | None, where: str) -> T:
    """``cls(**values)``, refusing keys ``cls`` has no field for.

    Args:
        cls: A dataclass.
        values: Plain config values (``None``: every field at its default).
        where: The config group, for error messages (``optim``, ``search``, ...).

    Raises:
        ConfigError: A key is unknown (the message lists the valid ones).
    """
    values = dict(values or {})
    valid = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(valid))
    if unknown:
        keys = ", ".join(f"{where}.{key}" for key in unknown)
        raise ConfigError(f"unknown setting(s) {keys}; valid keys of {where} are {sorted(valid)}")
    return cls(**values)


def check_number(
    key: str,
    value: Any,
    *,
    minimum: float | None = None,
    above: float | None = None,
    integer: bool = False,
    nullable: bool = False,
) -> None:
    """Refuse ``value`` unless it is a number (an integer if ``integer``) within bounds.

    Args:
        key: The setting's full name (``search.trials``), for the message.
        minimum: Smallest value allowed.
        above: The value must be strictly greater than this.
        nullable: ``None`` is allowed too.
    """
    if value is None and nullable:
        return
    kind = (int,) if integer else (int, float)
    wrong = isinstance(value, bool) or not isinstance(value, kind)
    if not wrong and minimum is not None:
        wrong = value < minimum
    if not wrong and above is not None:
        wrong = value <= above
    if wrong:
        what = "an integer" if integer else "a number"
        bounds = [f">= {minimum:g}"] if minimum is not None else []
        bounds += [f"> {above:g}"] if above is not None else []
        expected = " ".join([what, *bounds]) + (" or null" if nullable else "")
        raise ConfigError(f"{key}={value!r} must be {expected}")


def check_choice(key: str, value: Any, choices: tuple[Any, ...] | list[Any]) -> None:
    """Refuse ``value`` unless it is one of ``choices``."""
    if value not in choices:
        raise ConfigError(f"{key}={value!r} is unknown; choose one of {list(choices)}")
