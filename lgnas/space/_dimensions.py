"""One searchable dimension: its domain, how to sample it, and its slot in the [0, 1] encoding."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lgnas.errors import ConfigError

# Floats are kept to this many significant digits, so that decode(encode(p)) == p exactly
# (log/exp round trips are off by an ulp) and keys and journals stay readable.
_FLOAT_DIGITS = 10


def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from 0 and 1 (``True == 1`` in Python)."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@dataclass(frozen=True)
class Dimension(ABC):
    """A named choice of a search space, possibly conditional or repeated per layer.

    Attributes:
        name: The key of the dimension in a point.
        when: Other dimension -> accepted values; the dimension is active only if every one
            of them currently holds an accepted value (for a per-layer one: in any layer).
        per_layer: The integer dimension counting layers; the value is then a list with one
            entry per layer.
    """

    name: str
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    per_layer: str | None = None

    @property
    @abstractmethod
    def width(self) -> int:
        """Length of one value's block in the encoding."""

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Any:
        """A value drawn from the dimension's prior."""

    @abstractmethod
    def canonical(self, value: Any) -> Any:
        """The value in its canonical type; :class:`ValueError` saying why if outside the domain."""

    @abstractmethod
    def encode(self, value: Any) -> np.ndarray:
        """The value as ``width`` numbers in [0, 1]."""

    @abstractmethod
    def decode(self, block: np.ndarray) -> Any:
        """The value nearest to a block of ``width`` numbers in [0, 1] (never invalid)."""

    @abstractmethod
    def options(self) -> tuple[Any, ...] | None:
        """Every value, in order, when the domain is finite; else ``None``."""

    @abstractmethod
    def discretise(self, bins: int) -> tuple[Any, ...]:
        """A finite menu of values for controllers that pick one of a few options."""


@dataclass(frozen=True)
class Categorical(Dimension):
    """One of a fixed list of scalar choices (strings, numbers, booleans)."""

    choices: tuple[Any, ...] = ()

    @property
    def width(self) -> int:
        return len(self.choices)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.choices[int(rng.integers(len(self.choices)))]

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices; :class:`ValueError` if absent."""
        for i, choice in enumerate(self.choices):
            if same_value(choice, value):
                return i
        raise ValueError(f"{value!r} is not one of {list(self.choices)}")

    def canonical(self, value: Any) -> Any:
        return self.choices[self.index(value)]

    def encode(self, value: Any) -> np.ndarray:
        block = np.zeros(self.width)
        block[self.index(value)] = 1.0
        return block

    def decode(self, block: np.ndarray) -> Any:
        return self.choices[int(np.argmax(block))]

    def options(self) -> tuple[Any, ...]:
        return self.choices

    def discretise(self, bins: int) -> tuple[Any, ...]:
        return self.choices


@dataclass(frozen=True)
class _Numeric(Dimension):
    """A number in ``[low, high]``, encoded by its (log-)scaled position in one slot."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False

    @property
    def width(self) -> int:
        return 1

    @property
    def _span(self) -> tuple[float, float]:
        """The encoded interval's ends, before scaling."""
        return self.low, self.high

    def _scale(self, x: float) -> float:
        return math.log(x) if self.log else x

    def _unscale(self, y: float) -> float:
        return math.exp(y) if self.log else y

    def _to_unit(self, value: float) -> float:
        lo, hi = (self._scale(v) for v in self._span)
        return (self._scale(value) - lo) / (hi - lo)

    def _from_unit(self, u: float) -> float:
        lo, hi = (self._scale(v) for v in self._span)
        return self._unscale(lo + min(max(u, 0.0), 1.0) * (hi - lo))

    def _check_number(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{value!r} is not a number")
        if not self.low <= value <= self.high:
            raise ValueError(f"{value!r} is outside [{self.low}, {self.high}]")
        return value

    def encode(self, value: Any) -> np.ndarray:
        return np.array([self._to_unit(self.canonical(value))])

    def decode(self, block: np.ndarray) -> Any:
        return self._snap(self._from_unit(float(block[0])))

    def sample(self, rng: np.random.Generator) -> Any:
        return self._snap(self._from_unit(float(rng.random())))

    def discretise(self, bins: int) -> tuple[Any, ...]:
        values = (self._snap(self._from_unit((i + 0.5) / bins)) for i in range(bins))
        return tuple(dict.fromkeys(values))  # ordered, without repeats

    @abstractmethod
    def _snap(self, x: float) -> Any:
        """The domain value nearest to ``x``."""


@dataclass(frozen=True)
class Float(_Numeric):
    """A real number in ``[low, high]``, uniform or log-uniform."""

    def canonical(self, value: Any) -> float:
        return float(self._check_number(value))

    def _snap(self, x: float) -> float:
        return min(max(float(f"{x:.{_FLOAT_DIGITS}g}"), self.low), self.high)

    def options(self) -> None:
        return None


@dataclass(frozen=True)
class Integer(_Numeric):
    """An integer in ``[low, high]`` on a grid of ``step``, uniform or log-uniform.

    Each grid value owns an equal share of the encoded interval (it spans half a step
    beyond each end), so uniform codes decode to uniformly spread integers.
    """

    step: int = 1

    @property
    def _span(self) -> tuple[float, float]:
        return self.low - self.step / 2, self.high + self.step / 2

    def canonical(self, value: Any) -> int:
        number = self._check_number(value)
        if number != int(number) or (int(number) - self.low) % self.step:
            raise ValueError(f"{value!r} is not an integer on the grid {self.low}:{self.step}")
        return int(number)

    def _snap(self, x: float) -> int:
        index = round((x - self.low) / self.step)
        return int(min(max(self.low + index * self.step, self.low), self.high))

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:
            return super().sample(rng)
        return int(self.low + self.step * rng.integers((self.high - self.low) // self.step + 1))

    def options(self) -> tuple[int, ...]:
        return tuple(range(int(self.low), int(self.high) + 1, self.step))

    def discretise(self, bins: int) -> tuple[Any, ...]:
        grid = self.options()
        return grid if len(grid) <= bins else super().discretise(bins)


Fail = Callable[[str], ConfigError]  # builds an error naming the dimension being parsed

_COMMON_KEYS = ("type", "when", "per_layer")
_KEYS = {
    "categorical": (*_COMMON_KEYS, "choices"),
    "bool": _COMMON_KEYS,
    "int": (*_COMMON_KEYS, "low", "high", "step", "log"),
    "float": (*_COMMON_KEYS, "low", "high", "log"),
}


def parse_dimension(name: str, spec: Any) -> Dimension:
    """Build one dimension from its YAML mapping, with errors naming the dimension and key."""

    def fail(message: str) -> ConfigError:
        return ConfigError(f"search space dimension {name!r}: {message}")

    if not isinstance(spec, Mapping):
        raise fail(f"expected a mapping with a 'type' key, got {spec!r}")
    kind = spec.get("type")
    if kind not in _KEYS:
        raise fail(f"unknown type {kind!r}; choose one of {sorted(_KEYS)}")
    unknown = sorted(set(spec) - set(_KEYS[kind]))
    if unknown:
        raise fail(f"unknown key(s) {unknown}; a {kind} dimension takes {sorted(_KEYS[kind])}")
    common = {"name": name, "when": _parse_when(spec.get("when"), fail)}
    per_layer = spec.get("per_layer")
    if per_layer is not None and not isinstance(per_layer, str):
        raise fail(f"key 'per_layer' must name an int dimension, got {per_layer!r}")
    common["per_layer"] = per_layer
    if kind == "bool":
        return Categorical(**common, choices=(False, True))
    if kind == "categorical":
        return Categorical(**common, choices=_parse_choices(spec.get("choices"), fail))
    return _parse_numeric(kind, spec, common, fail)


def _parse_when(when: Any, fail: Fail) -> dict[str, tuple[Any, ...]]:
    if when is None:
        return {}
    if not isinstance(when, Mapping) or not when:
        raise fail(f"key 'when' must map other dimensions to accepted values, got {when!r}")
    return {
        str(other): tuple(v) if isinstance(v, (list, tuple)) else (v,) for other, v in when.items()
    }


def _parse_choices(choices: Any, fail: Fail) -> tuple[Any, ...]:
    if not isinstance(choices, (list, tuple)) or not choices:
        raise fail(f"key 'choices' must be a non-empty list, got {choices!r}")
    for choice in choices:
        if not isinstance(choice, (str, int, float, bool)):
            raise fail(f"key 'choices': {choice!r} is not a scalar (string, number, boolean)")
    for i, choice in enumerate(choices):
        if any(same_value(choice, other) for other in choices[:i]):
            raise fail(f"key 'choices' lists {choice!r} twice")
    return tuple(choices)


def _parse_numeric(
    kind: str, spec: Mapping[str, Any], common: dict[str, Any], fail: Fail
) -> Dimension:
    number = int if kind == "int" else (int, float)
    bounds = {}
    for key in ("low", "high"):
        value = spec.get(key)
        if isinstance(value, bool) or not isinstance(value, number):
            expected = "an integer" if kind == "int" else "a number"
            raise fail(f"key {key!r} must be {expected}, got {value!r}")
        bounds[key] = value
    low, high = bounds["low"], bounds["high"]
    if low >= high:
        raise fail(f"key 'low' ({low}) must be below 'high' ({high})")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise fail(f"key 'log' must be true or false, got {log!r}")
    if log and low <= 0:
        raise fail(f"key 'log' needs 'low' > 0, got low={low}")
    if kind == "float":
        return Float(**common, low=float(low), high=float(high), log=log)
    step = spec.get("step", 1)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise fail(f"key 'step' must be a positive integer, got {step!r}")
    if step != 1 and log:
        raise fail("keys 'step' and 'log' cannot be combined")
    if (high - low) % step:
        raise fail(f"key 'step' ({step}) must divide high - low ({high - low})")
    return Integer(**common, low=low, high=high, log=log, step=step)
