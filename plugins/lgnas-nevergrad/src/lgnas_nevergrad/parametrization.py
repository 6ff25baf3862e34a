"""An lgnas search space as a Nevergrad parametrization of fixed shape.

Nevergrad optimisers need the same parameters in every candidate, so every gene that can
ever be active is a parameter: each layer of a per-layer dimension up to the most layers,
and conditional dimensions whether or not their condition holds. A candidate becomes a point
by reading only the genes the point makes active (:meth:`SearchSpace.build`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lgnas.errors import ConfigError
from lgnas.space import Categorical, Dimension, Float, Integer, SearchSpace
from lgnas.trials import Point

if TYPE_CHECKING:
    import nevergrad as ng


def gene_name(dim: Dimension, layer: int | None) -> str:
    """The parameter of one gene."""
    return dim.name if layer is None else f"{dim.name}[{layer}]"


def _genes(space: SearchSpace) -> list[tuple[Dimension, int | None]]:
    """Every gene that can be active, in the space's order."""
    dims = space.dimensions
    genes = []
    for dim in dims.values():
        layers = range(int(dims[dim.per_layer].high)) if dim.per_layer else (None,)  # type: ignore[attr-defined]
        genes.extend((dim, layer) for layer in layers)
    return genes


def parametrization(space: SearchSpace) -> ng.p.Dict:
    """One Nevergrad parameter per gene: choices, ordered choices, (log-)scalars."""
    import nevergrad as ng

    return ng.p.Dict(**{gene_name(d, layer): _parameter(d) for d, layer in _genes(space)})


def to_point(space: SearchSpace, value: dict[str, Any]) -> Point:
    """The point a candidate's value describes (inactive genes ignored)."""

    def gene(dim: Dimension, layer: int | None) -> Any:
        x = value[gene_name(dim, layer)]
        if isinstance(dim, Float):  # keep the space's rounding and bounds
            return dim.decode(dim.encode(min(max(float(x), dim.low), dim.high)))
        return x

    return space.build(gene)


def to_value(space: SearchSpace, point: Point, template: dict[str, Any]) -> dict[str, Any]:
    """A candidate value describing ``point``; inactive genes are taken from ``template``."""
    value = dict(template)
    for name, x in space.validate(point).items():
        dim = space.dimensions[name]
        genes = enumerate(x) if dim.per_layer else [(None, x)]
        value.update({gene_name(dim, layer): g for layer, g in genes})
    return value


def _parameter(dim: Dimension) -> Any:
    import nevergrad as ng

    if isinstance(dim, Categorical):
        return ng.p.Choice(list(dim.choices))
    if isinstance(dim, Integer):
        return ng.p.TransitionChoice(list(dim.options()))  # ordered: neighbours are close
    if isinstance(dim, Float):
        scalar = ng.p.Log if dim.log else ng.p.Scalar
        return scalar(lower=dim.low, upper=dim.high)
    raise ConfigError(f"dimension {dim.name!r}: no Nevergrad parameter for {type(dim).__name__}")
