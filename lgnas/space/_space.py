"""A search space: named dimensions, some conditional or per layer, and the operations on them.

Points are plain dicts holding only the *active* dimensions. A dimension is inactive when
its ``when`` condition fails, when a dimension it depends on is inactive, or, for a per-layer
dimension, when there are no layers: such dimensions are omitted, never ``[]`` or ``None``,
so one architecture has exactly one point and one :meth:`SearchSpace.key`.

A per-layer dimension whose ``when`` names another per-layer dimension is decided layer by
layer (``op3`` only in layers whose ``cell_nodes`` is 3 or 4). In a layer where its condition
fails, its gene is not searched: it is never asked for, mutated or encoded, and the point
holds a fixed filler there (the first choice; a numeric dimension's middle value), so the
point still has one value per layer and one key.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lgnas.errors import ConfigError
from lgnas.space._consumers import check_consumed
from lgnas.space._dimensions import Dimension, Integer, parse_dimension, same_value
from lgnas.trials import Point

_MISSING = object()  # "no value proposed for this gene": draw one from the prior
_INACTIVE_CODE = 0.5  # what an inactive block encodes to; decode ignores it anyway

# Proposes the value of one gene (a dimension, or one layer of a per-layer dimension) while a
# point is built; returns _MISSING to have it drawn from the prior instead.
GeneSource = Callable[[Dimension, "int | None"], Any]


@dataclass(frozen=True)
class Decision:
    """One categorical choice of a controller that builds points decision by decision.

    Attributes:
        name: The dimension decided.
        layer: Which layer of a per-layer dimension, else ``None``.
        choices: The values to pick from (floats and wide ints discretised into bins).
    """

    name: str
    layer: int | None
    choices: tuple[Any, ...]


class SearchSpace:
    """The dimensions a search explores, declared in YAML (see ``conf/search_space/``).

    Args:
        dimensions: Name -> :class:`Dimension`; reordered so that every dimension comes after
            those its ``when`` and ``per_layer`` refer to.
        name: A label for logs and journals.
        lgnas_keys: Refuse dimensions no part of lgnas reads; off for a space of another
            program's settings (the Hydra sweeper plugin tunes any app's config).
    """

    def __init__(
        self, dimensions: Mapping[str, Dimension], name: str = "space", lgnas_keys: bool = True
    ) -> None:
        if not dimensions:
            raise ConfigError(f"search space {name!r} declares no dimensions")
        self.name = name
        self._dims = _dependency_order(dimensions)
        for dim in self._dims.values():
            _check_references(dim, self._dims)
        if lgnas_keys:
            check_consumed(self._dims.values())
        self._offsets, self._encoding_size = self._layout()
        self._decisions: dict[int, tuple[Decision, ...]] = {}  # by bins; the space never changes

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any], name: str | None = None) -> SearchSpace:
        """Build from ``{name: ..., dimensions: {dim: spec}}``, checking every key."""
        if not isinstance(mapping, Mapping):
            raise ConfigError(f"a search space must be a mapping, got {type(mapping).__name__}")
        unknown = sorted(set(mapping) - {"name", "dimensions"})
        if unknown:
            raise ConfigError(
                f"search space: unknown key(s) {unknown}; expected 'dimensions' and optional 'name'"
            )
        dims = mapping.get("dimensions")
        if not isinstance(dims, Mapping) or not dims:
            raise ConfigError("search space: 'dimensions' must be a non-empty mapping")
        parsed = {str(key): parse_dimension(str(key), spec) for key, spec in dims.items()}
        return cls(parsed, name=name or str(mapping.get("name", "space")))

    @classmethod
    def from_yaml(cls, path: str | Path) -> SearchSpace:
        """Load a space file (and the spaces its ``defaults`` extend); errors name the file."""
        path = Path(path)
        mapping = _read_space_file(path)
        name = mapping.get("name") if isinstance(mapping, Mapping) else None
        try:
            return cls.from_dict(mapping, name=name or path.stem)  # type: ignore[arg-type]
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None

    # -- metadata -------------------------------------------------------------------------------

    @property
    def names(self) -> tuple[str, ...]:
        """Dimension names, each after the dimensions it depends on."""
        return tuple(self._dims)

    @property
    def dimensions(self) -> Mapping[str, Dimension]:
        """Name -> dimension, in :attr:`names` order."""
        return dict(self._dims)

    @property
    def encoding_size(self) -> int:
        """Length ``D`` of :meth:`encode`'s vectors."""
        return self._encoding_size

    def __repr__(self) -> str:
        return f"SearchSpace({self.name!r}, dimensions={list(self._dims)})"

    # -- points ---------------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> Point:
        """A point drawn from every active dimension's prior."""
        return self._build(rng, lambda dim, layer: _MISSING)

    def graph_dimensions(self) -> frozenset[str]:
        """The layer counts and every dimension that depends on one (per layer, or through
        ``when``, transitively): the message-passing graph, as against the training recipe."""
        found = set(self._layer_counts())
        for dim in self._dims.values():  # dependency order: what a dim depends on comes first
            if dim.per_layer in found or any(other in found for other in dim.when):
                found.add(dim.name)
        return frozenset(found)

    def with_random_graph(
        self, point: Mapping[str, Any], rng: np.random.Generator, tries: int = 100
    ) -> Point | None:
        """``point``'s recipe (its genes outside :meth:`graph_dimensions`) on a random graph of
        at least one layer; ``None`` when ``tries`` draws of the layer counts give none."""
        recipe = self.validate(point)
        graph, counters = self.graph_dimensions(), self._layer_counts()
        for _ in range(tries):
            drawn = self._build(
                rng,
                lambda dim, layer: (
                    _MISSING if dim.name in graph else self._gene(recipe, dim, layer)
                ),
            )
            if counters and all(drawn.get(name, 0) >= 1 for name in counters):
                return drawn
        return None

    def _layer_counts(self) -> frozenset[str]:
        """The integer dimensions that per-layer dimensions are repeated by."""
        return frozenset(dim.per_layer for dim in self._dims.values() if dim.per_layer)

    def validate(self, point: Mapping[str, Any]) -> Point:
        """Check a point holds exactly the active dimensions with valid values.

        Returns:
            The point in canonical form (dimension order, canonical value types), the form
            :meth:`key` hashes.

        Raises:
            ConfigError: naming the offending dimension.
        """
        if not isinstance(point, Mapping):
            raise ConfigError(f"a point must be a mapping, got {type(point).__name__}")
        unknown = sorted(set(point) - set(self._dims))
        if unknown:
            raise ConfigError(
                f"point has unknown dimension(s) {unknown}; "
                f"space {self.name!r} has {list(self._dims)}"
            )
        out: Point = {}
        for name, dim in self._dims.items():
            active = self._is_active(dim, out)
            if name not in point:
                if active:
                    raise ConfigError(f"point is missing active dimension {name!r}")
                continue
            if not active:
                raise ConfigError(
                    f"dimension {name!r} is inactive for this point "
                    f"({self._why_inactive(dim, out)}); omit it"
                )
            out[name] = self._canonical(dim, point[name], out)
        return out

    def key(self, point: Mapping[str, Any]) -> str:
        """A stable string identifying a point, for de-duplication and caches."""
        return json.dumps(self.validate(point), sort_keys=True, separators=(",", ":"))

    def mutate(self, point: Mapping[str, Any], rng: np.random.Generator, rate: float) -> Point:
        """Redraw each gene (per-layer dimensions: each layer) with probability ``rate``.

        Genes that become active (say, ``heads`` once a layer turns into ``gat``) are drawn
        from the prior; genes that become inactive are dropped.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"mutation rate must be in [0, 1], got {rate}")
        parent = self.validate(point)

        def source(dim: Dimension, layer: int | None) -> Any:
            gene = self._gene(parent, dim, layer)
            return _MISSING if gene is _MISSING or rng.random() < rate else gene

        return self._build(rng, source)

    def crossover(
        self, a: Mapping[str, Any], b: Mapping[str, Any], rng: np.random.Generator
    ) -> Point:
        """Uniform crossover: each gene from either parent with equal probability."""
        parents = (self.validate(a), self.validate(b))

        def source(dim: Dimension, layer: int | None) -> Any:
            genes = [g for g in (self._gene(p, dim, layer) for p in parents) if g is not _MISSING]
            return genes[int(rng.integers(len(genes)))] if genes else _MISSING

        return self._build(rng, source)

    def build(self, genes: Callable[[Dimension, int | None], Any]) -> Point:
        """The point whose genes ``genes(dimension, layer)`` gives, asked only for active ones.

        Dimensions are visited in dependency order, so a define-by-run optimiser (Optuna)
        suggests exactly the genes the point so far makes active. ``layer`` is the layer of a
        per-layer dimension, else ``None``.
        """
        return self.validate(self._build(None, genes))

    # -- continuous relaxation ------------------------------------------------------------------

    def encode(self, point: Mapping[str, Any]) -> np.ndarray:
        """The point as a vector in ``[0, 1]^D``: one-hot blocks and (log-)scaled numbers.

        Per-layer dimensions take one block per possible layer; blocks of inactive genes
        (layers beyond the point's, layers where the condition fails) hold 0.5.
        """
        canonical = self.validate(point)
        vector = np.full(self.encoding_size, _INACTIVE_CODE)
        for name, start, width in self._offsets:
            dim = self._dims[name]
            for slot in range(self._slots(dim)):
                gene = self._gene(canonical, dim, slot if dim.per_layer else None)
                if gene is not _MISSING:
                    vector[start + slot * width : start + (slot + 1) * width] = dim.encode(gene)
        return vector

    def decode(self, vector: Sequence[float] | np.ndarray) -> Point:
        """The valid point a vector encodes; values outside ``[0, 1]`` are clipped, NaN is 0.5."""
        v = np.asarray(vector, dtype=float)
        if v.shape != (self.encoding_size,):
            raise ValueError(f"expected a vector of length {self.encoding_size}, got {v.shape}")
        v = np.clip(np.nan_to_num(v, nan=_INACTIVE_CODE), 0.0, 1.0)

        def source(dim: Dimension, layer: int | None) -> Any:
            return dim.decode(v[self.block(dim.name, layer)])

        return self._build(None, source)

    def block(self, name: str, layer: int | None = None) -> slice:
        """Where dimension ``name`` (its gene of ``layer``, for a per-layer one) sits in
        :meth:`encode`'s vector; strategies that read positions gene by gene use it."""
        for dim_name, start, width in self._offsets:
            if dim_name == name:
                start += (layer or 0) * width
                return slice(start, start + width)
        raise KeyError(f"{name!r} is not a dimension of this space")

    # -- finite spaces --------------------------------------------------------------------------

    def size(self) -> int | None:
        """How many distinct valid points there are; ``None`` if a dimension is continuous."""
        return self._size

    def enumerate(self) -> Iterator[Point]:
        """Every valid point once, in a fixed order; a finite space only."""
        if self.size() is None:
            raise ConfigError(
                f"search space {self.name!r} is infinite (continuous dimensions "
                f"{self._continuous()}) and cannot be enumerated"
            )
        yield from self._walk(list(self._dims.values()), {})

    # -- controllers ----------------------------------------------------------------------------

    def categorical_dims(self, bins: int = 8) -> tuple[Decision, ...]:
        """The decisions a controller makes, in dependency order; per-layer ones per layer.

        A controller picks an index for every decision and :meth:`from_decisions` turns the
        indices into a point, ignoring decisions for inactive genes. Float dimensions (and int
        dimensions with more than ``bins`` values) are discretised into ``bins`` values.
        """
        if bins < 1:
            raise ValueError(f"bins must be positive, got {bins}")
        if bins not in self._decisions:
            self._decisions[bins] = tuple(
                Decision(dim.name, layer, dim.discretise(bins))
                for dim in self._dims.values()
                for layer in (range(self._slots(dim)) if dim.per_layer else (None,))
            )
        return self._decisions[bins]

    def from_decisions(self, indices: Sequence[int], bins: int = 8) -> Point:
        """The point one index per :meth:`categorical_dims` decision describes."""
        decisions = self.categorical_dims(bins)
        if len(indices) != len(decisions):
            raise ValueError(f"expected {len(decisions)} decisions, got {len(indices)}")
        chosen = {(d.name, d.layer): d.choices[int(i)] for d, i in zip(decisions, indices)}
        return self._build(None, lambda dim, layer: chosen[dim.name, layer])

    # -- internals ------------------------------------------------------------------------------

    def _build(self, rng: np.random.Generator | None, source: GeneSource) -> Point:
        """Assemble a valid point gene by gene, in dependency order, from ``source``."""
        point: Point = {}
        for dim in self._dims.values():
            if not self._is_active(dim, point):
                continue
            layers = range(point[dim.per_layer]) if dim.per_layer else (None,)
            genes = []
            for layer in layers:
                if layer is not None and not self._layer_active(dim, point, layer):
                    genes.append(_filler(dim))
                    continue
                gene = source(dim, layer)
                genes.append(dim.sample(rng) if gene is _MISSING else gene)  # type: ignore[arg-type]
            point[dim.name] = genes if dim.per_layer else genes[0]
        return point

    def _is_active(self, dim: Dimension, point: Mapping[str, Any]) -> bool:
        """Whether ``dim`` is active given the (partial) point of the dims before it."""
        return self._why_inactive(dim, point) is None

    def _why_inactive(self, dim: Dimension, point: Mapping[str, Any]) -> str | None:
        if dim.per_layer is not None and not point.get(dim.per_layer):
            return f"{dim.per_layer} is {point.get(dim.per_layer, 'inactive')}"
        for other, accepted in dim.when.items():
            if other not in point:
                return f"{other} is inactive"
            if self._layerwise(dim, other):
                continue  # decided per layer, below
            parent = self._dims[other]
            layers = range(len(point[other])) if parent.per_layer else (None,)
            values = (self._gene(point, parent, layer) for layer in layers)
            if not any(same_value(v, a) for v in values for a in accepted):
                return f"it needs {other} in {list(accepted)}, got {point[other]!r}"
        if dim.per_layer and not any(
            self._layer_active(dim, point, layer) for layer in range(point[dim.per_layer])
        ):
            layerwise = {k: list(v) for k, v in dim.when.items() if self._layerwise(dim, k)}
            return f"no layer has {layerwise}"
        return None

    def _layerwise(self, dim: Dimension, other: str) -> bool:
        """Whether ``dim``'s condition on ``other`` is decided layer by layer: both are
        per-layer dimensions sized by the same count."""
        return dim.per_layer is not None and self._dims[other].per_layer == dim.per_layer

    def _layer_active(self, dim: Dimension, point: Mapping[str, Any], layer: int) -> bool:
        """Whether a per-layer ``dim`` is searched in ``layer``: each per-layer dimension its
        ``when`` names is active there with an accepted value."""
        for other, accepted in dim.when.items():
            if self._layerwise(dim, other):
                value = self._gene(point, self._dims[other], layer)
                if not any(same_value(value, a) for a in accepted):
                    return False
        return True

    def _gene(self, point: Mapping[str, Any], dim: Dimension, layer: int | None) -> Any:
        """A point's value of one gene, or ``_MISSING`` if the point lacks it or does not
        search it (a layer beyond its count, or where the dimension is inactive)."""
        if dim.name not in point:
            return _MISSING
        if layer is None:
            return point[dim.name]
        values = point[dim.name]
        if layer >= len(values) or not self._layer_active(dim, point, layer):
            return _MISSING
        return values[layer]

    def _canonical(self, dim: Dimension, value: Any, point: Mapping[str, Any]) -> Any:
        try:
            if dim.per_layer is None:
                return dim.canonical(value)
            layers = point[dim.per_layer]
            if not isinstance(value, (list, tuple)) or len(value) != layers:
                raise ValueError(
                    f"{value!r} is not a list of {layers} per-layer values "
                    f"({dim.per_layer}={layers})"
                )
            out = []
            for layer, v in enumerate(value):
                if self._layer_active(dim, point, layer):
                    out.append(dim.canonical(v))
                    continue
                if v is not None:  # unused here, but a value outside the domain is a mistake
                    dim.canonical(v)
                out.append(_filler(dim))  # null, or any valid value, stands for the filler
            return out
        except ValueError as err:
            raise ConfigError(f"dimension {dim.name!r}: {err}") from None

    def _slots(self, dim: Dimension) -> int:
        """Blocks a dimension takes in the encoding: the most layers if per layer, else one."""
        return self._dims[dim.per_layer].high if dim.per_layer else 1  # type: ignore[attr-defined]

    def _layout(self) -> tuple[list[tuple[str, int, int]], int]:
        """``(name, start, block width)`` of every dimension in the encoding, and its length."""
        offsets, start = [], 0
        for name, dim in self._dims.items():
            offsets.append((name, start, dim.width))
            start += dim.width * self._slots(dim)
        return offsets, start

    def _continuous(self) -> list[str]:
        return [name for name, dim in self._dims.items() if dim.options() is None]

    def _walk(self, dims: list[Dimension], point: Point) -> Iterator[Point]:
        """Every assignment of ``dims`` (in order), skipping inactive ones."""
        if not dims:
            yield dict(point)
            return
        dim, rest = dims[0], dims[1:]
        if not self._is_active(dim, point):
            yield from self._walk(rest, point)
            return
        options = dim.options()
        values: Any = (
            (list(v) for v in itertools.product(*self._layer_options(dim, point)))
            if dim.per_layer
            else options
        )
        for value in values:
            point[dim.name] = value
            yield from self._walk(rest, point)
        del point[dim.name]

    @functools.cached_property
    def _size(self) -> int | None:
        """Count points without listing them: branch only on dimensions others depend on."""
        if self._continuous():
            return None
        referenced = {r for dim in self._dims.values() for r in _references(dim)}
        branching = [d for d in self._dims.values() if d.name in referenced]
        leaves = [d for d in self._dims.values() if d.name not in referenced]
        total = 0
        for partial in self._walk(branching, {}):
            count = 1
            for dim in leaves:
                if self._is_active(dim, partial):
                    layers = self._layer_options(dim, partial) if dim.per_layer else [dim.options()]
                    count *= math.prod(len(options) for options in layers)
            total += count
        return total

    def _layer_options(self, dim: Dimension, point: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """A finite per-layer dimension's values in each layer: its options where searched,
        the filler elsewhere."""
        return [
            dim.options() if self._layer_active(dim, point, layer) else (_filler(dim),)
            for layer in range(point[dim.per_layer])
        ]


def _filler(dim: Dimension) -> Any:
    """What a per-layer gene holds in a layer where its dimension is inactive: fixed, so a
    point has one canonical form (the first choice; a numeric dimension's middle value)."""
    return dim.discretise(1)[0]


def _references(dim: Dimension) -> list[str]:
    return [*dim.when, *([dim.per_layer] if dim.per_layer else [])]


def _check_references(dim: Dimension, dims: Mapping[str, Dimension]) -> None:
    """Refuse ``when``/``per_layer`` that name unknown dims or values a dim can never take."""

    def fail(message: str) -> ConfigError:
        return ConfigError(f"search space dimension {dim.name!r}: {message}")

    if dim.per_layer is not None:
        counter = dims.get(dim.per_layer)
        if not isinstance(counter, Integer) or counter.per_layer or counter.low < 0:
            raise fail(
                f"per_layer must name a non-negative int dimension that is not itself "
                f"per_layer, got {dim.per_layer!r}"
            )
    for other, accepted in dim.when.items():
        parent = dims[other]
        for value in accepted:
            try:
                parent.canonical(value)
            except ValueError as err:
                raise fail(f"when {{{other}: {value!r}}} can never hold: {err}") from None


def _dependency_order(dims: Mapping[str, Dimension]) -> dict[str, Dimension]:
    """The dims with each after those it references (declaration order otherwise kept)."""
    for dim in dims.values():
        for ref in _references(dim):
            if ref not in dims:
                key = "per_layer" if ref == dim.per_layer else "when"
                raise ConfigError(
                    f"search space dimension {dim.name!r}: key {key!r} refers to "
                    f"unknown dimension {ref!r}; dimensions are {list(dims)}"
                )
    ordered: dict[str, Dimension] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            raise ConfigError(
                f"search space dimensions depend on each other in a cycle: {' -> '.join(cycle)}"
            )
        visiting.append(name)
        for ref in _references(dims[name]):
            visit(ref)
        visiting.pop()
        ordered[name] = dims[name]

    for name in dims:
        visit(name)
    return ordered


def _read_space_file(path: Path, seen: tuple[Path, ...] = ()) -> Any:
    """A space file's mapping, its Hydra ``defaults`` (spaces in the same folder it extends,
    and ``_self_``) merged in their order, as Hydra composes ``search_space=<name>``."""
    from omegaconf import OmegaConf  # lazy: only file loading needs it

    if not path.is_file():
        raise ConfigError(f"search space file not found: {path}")
    if path in seen:
        raise ConfigError(f"{path}: search space defaults loop back to it")
    try:
        mapping = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    except Exception as err:  # YAML syntax errors, bad interpolations, ...
        raise ConfigError(f"{path}: cannot read search space: {err}") from None
    if not isinstance(mapping, dict) or "defaults" not in mapping:
        return mapping
    merged: dict[str, Any] = {}
    defaults = list(mapping.pop("defaults") or ())
    for entry in defaults if "_self_" in defaults else [*defaults, "_self_"]:
        if not isinstance(entry, str):
            raise ConfigError(f"{path}: defaults entry {entry!r} must name a space file")
        part = (
            mapping
            if entry == "_self_"
            else _read_space_file(path.with_name(f"{entry}.yaml"), (*seen, path))
        )
        dims = {**merged.get("dimensions", {}), **(part.get("dimensions") or {})}
        merged.update(part, dimensions=dims)
    return merged
