"""A space split for a staged search: the macro choices, and one layer's cell.

Stage 1 of :class:`~lgnas.strategies.staged.StagedSearch` searches the *macro space*: every
dimension except the cell's extra nodes and merge, so each layer is one op. Stage 2 searches
one layer at a time in the *layer space*: the layer's cell genes (``cell_nodes``, ``op``, the
node ops and inputs, ``cell_merge``, and per-layer dimensions conditioned on them) as plain
dimensions, written into that layer of an existing point by :func:`with_layer`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space._dimensions import Dimension
from lgnas.space._space import SearchSpace
from lgnas.trials import Point

FIRST_OP = "op"  # node 1's op, the op of a one-node cell
NODES = "cell_nodes"


def _extra_node_keys() -> tuple[str, ...]:
    """The keys of a cell beyond its first op: node count, node ops and inputs, merge."""
    from lgnas.models.architecture import CELL_KEYS  # lazy: lgnas.models imports lightning

    return CELL_KEYS


def _closure(space: SearchSpace, seeds: set[str], layerwise: bool) -> set[str]:
    """``seeds`` and every dimension whose ``when`` names one of them (transitively); with
    ``layerwise``, only per-layer dimensions sized like them count."""
    found = set(seeds)
    grew = True
    while grew:
        grew = False
        for dim in space.dimensions.values():
            if dim.name in found or not any(other in found for other in dim.when):
                continue
            if layerwise and dim.per_layer is None:
                continue
            found.add(dim.name)
            grew = True
    return found


def macro_space(space: SearchSpace) -> SearchSpace:
    """``space`` without the cell keys beyond the first op (and what depends on them): its
    points have one-op layers (:func:`single_op_point` makes them points of ``space``)."""
    if NODES in space.names:
        try:
            space.dimensions[NODES].canonical(1)
        except ValueError as err:
            raise ConfigError(
                f"search space {space.name!r}: a staged search's first stage needs one-node "
                f"cells, but {NODES} cannot be 1 ({err}); let it start at 1"
            ) from None
    dropped = _closure(space, set(_extra_node_keys()) & set(space.names), layerwise=False)
    kept = {name: dim for name, dim in space.dimensions.items() if name not in dropped}
    return SearchSpace(kept, name=f"{space.name}-macro")


def layer_genes(space: SearchSpace) -> tuple[str, ...]:
    """The per-layer dimensions that make up one layer's cell, in ``space`` order."""
    seeds = {
        name
        for name in (FIRST_OP, *_extra_node_keys())
        if name in space.names and space.dimensions[name].per_layer is not None
    }
    genes = _closure(space, seeds, layerwise=True)
    return tuple(name for name in space.names if name in genes)


def layer_space(space: SearchSpace) -> SearchSpace:
    """One layer's cell genes as plain (not per-layer) dimensions.

    Raises:
        ConfigError: ``space`` has no per-layer ``op``, or a cell gene depends on a
            dimension outside the cell (its value would differ from layer to layer).
    """
    genes = layer_genes(space)
    if FIRST_OP not in genes:
        raise ConfigError(
            f"search space {space.name!r} has no per-layer {FIRST_OP!r} dimension, so it has "
            "no layers whose cells a staged search could search; choose a space with layers "
            "(search_space=cells or default)"
        )
    dims: dict[str, Dimension] = {}
    for name in genes:
        dim = space.dimensions[name]
        outside = sorted(set(dim.when) - set(genes))
        if outside:
            raise ConfigError(
                f"search space {space.name!r}: cell gene {name!r} depends on {outside}, "
                "outside the cell; a staged search searches a layer's cell on its own, so make "
                "the condition name cell genes only"
            )
        dims[name] = dataclasses.replace(dim, per_layer=None)
    return SearchSpace(dims, name=f"{space.name}-layer")


def _default(dim: Dimension) -> Any:
    """The value a gene takes when it becomes active with nothing to inherit: the first
    choice (a numeric dimension's middle value), fixed so a point is a function of its
    parent and the layer's cell."""
    return dim.discretise(1)[0]


def single_op_point(space: SearchSpace, macro: Mapping[str, Any]) -> Point:
    """The point of ``space`` a :func:`macro_space` point stands for: every cell one node."""

    def gene(dim: Dimension, layer: int | None) -> Any:
        if dim.name == NODES:
            return 1
        value = macro.get(dim.name, _default(dim))
        return value[layer] if layer is not None and dim.name in macro else value

    return space.build(gene)


def with_layer(
    space: SearchSpace, point: Mapping[str, Any], layer: int, cell: Mapping[str, Any]
) -> Point:
    """``point`` with layer ``layer``'s (0-based) cell replaced by ``cell``, a
    :func:`layer_space` point; every other gene is ``point``'s."""

    def gene(dim: Dimension, at: int | None) -> Any:
        if at == layer and dim.name in cell:
            return cell[dim.name]
        if dim.name not in point:  # newly active (a gat layer's heads): a fixed default
            return _default(dim)
        return point[dim.name][at] if at is not None else point[dim.name]

    return space.build(gene)


def propagated_point(space: SearchSpace, point: Mapping[str, Any], layers: int) -> Point | None:
    """``point``'s recipe (embeddings, item content, score, training) on ``layers`` LightGCN
    layers of one-node cells: the point :func:`~lgnas.models.architecture.propagated` makes
    of its architecture. ``None`` where ``space`` cannot hold it (no ``lightgcn`` op, too
    few layers, a message-passing choice LightGCN needs is missing)."""
    from lgnas.models.architecture import MESSAGE_PASSING_KEYS, preset  # lazy, as above

    macro = {k: v for k, v in point.items() if k not in MESSAGE_PASSING_KEYS}
    try:
        graph = preset("lightgcn", num_layers=layers).to_dict()
        macro.update({k: v for k, v in graph.items() if k in MESSAGE_PASSING_KEYS})
        return single_op_point(space, macro)
    except ConfigError:
        return None
