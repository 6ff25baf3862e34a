"""Hydra sweep overrides (``x=interval(0,1)``) as an lgnas search space, and back.

Each sweep override is one dimension: ``choice`` -> categorical, ``range`` of integers ->
int with its step (other ranges -> categorical), ``interval`` -> float, or int when both
ends are integers (``int(interval(1,64))``), log-scaled with ``tag(log, ...)``. Overrides
that are not sweeps are passed unchanged to every job.
"""

from __future__ import annotations

from typing import Any

from hydra.core.override_parser.types import (
    ChoiceSweep,
    IntervalSweep,
    Override,
    RangeSweep,
    Transformer,
)

from lgnas.errors import ConfigError
from lgnas.space import Categorical, Dimension, Float, Integer, SearchSpace
from lgnas.trials import Point


def sweep_space(overrides: list[Override]) -> tuple[SearchSpace, list[str]]:
    """The space of the sweep overrides, and the other overrides as ``key=value`` strings."""
    dims: dict[str, Dimension] = {}
    fixed = []
    for override in overrides:
        key = override.get_key_element()
        if override.is_sweep_override():
            dims[key] = _dimension(key, override)
        else:
            fixed.append(f"{key}={override.get_value_element_as_str()}")
    if not dims:
        raise ConfigError(
            "hydra/sweeper=lgnas: nothing to tune; give sweeps such as 'x=interval(0,1)' or "
            "'opt=choice(sgd,adam)' on the command line or in hydra.sweeper.params"
        )
    return SearchSpace(dims, name="sweep", lgnas_keys=False), fixed


def job_overrides(point: Point) -> list[str]:
    """The ``key=value`` overrides that set a point's values in a job's config."""
    return [f"{key}={_literal(value)}" for key, value in point.items()]


def _dimension(key: str, override: Override) -> Dimension:
    sweep = override.value()
    if isinstance(sweep, RangeSweep) and _integers(sweep.start, sweep.stop, sweep.step):
        values = list(range(sweep.start, sweep.stop, sweep.step))
        if len(values) > 1 and sweep.step > 0:
            return Integer(name=key, low=values[0], high=values[-1], step=sweep.step)
    if isinstance(sweep, ChoiceSweep | RangeSweep):
        choices = tuple(override.sweep_iterator(transformer=Transformer.identity))
        for choice in choices:
            if not isinstance(choice, str | int | float | bool):
                raise ConfigError(
                    f"hydra/sweeper=lgnas: {key!r}: choice {choice!r} is not a scalar "
                    "(string, number, boolean)"
                )
        return Categorical(name=key, choices=choices)
    if isinstance(sweep, IntervalSweep):
        log = "log" in sweep.tags
        if _integers(sweep.start, sweep.end):
            return Integer(name=key, low=sweep.start, high=sweep.end, log=log)
        return Float(name=key, low=float(sweep.start), high=float(sweep.end), log=log)
    raise ConfigError(
        f"hydra/sweeper=lgnas: cannot tune {key!r} with a {type(sweep).__name__}; use "
        "choice(...), range(...) or interval(...)"
    )


def _integers(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _literal(value: Any) -> str:
    """A value in Hydra's override grammar (strings quoted, so 'true' stays a string)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"
