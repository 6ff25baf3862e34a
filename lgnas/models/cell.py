"""A layer made of several ops: a cell's description (:class:`CellSpec`) and its module.

A cell is a small DAG, as in NASNet (Zoph et al., CVPR 2018) and ENAS (Pham et al., ICML
2018): node ``k`` (1-based) applies one op to one earlier state, state 0 being the layer input
and state ``j`` node ``j``'s output; the nodes no later node reads (the loose ends, as ENAS
averages them) are merged into the layer output. Node 1 always reads the layer input, so a
chain of nodes is the series case and several nodes reading state 0 the parallel case.

A node's op is any registered message-passing op (:mod:`lgnas.models.layers`) or one of the
node-only ops here: ``skip`` (a skip connection) and ``linear`` (a per-node transform). The
merges are ``sum``, ``mean``, ``concat`` (then projected back to the width) and ``attention``
(learned weights per graph node). A one-node cell is its op itself (:func:`build_layer`), so an
architecture without cells builds exactly the model it built before cells existed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lgnas.models.layers import Propagation, build_op, op_names

MAX_NODES = 4
MERGES = ("sum", "mean", "concat", "attention")


class SkipNode(nn.Module):
    """Skip: the node's input unchanged, ``h'_v = h_v`` (a skip connection inside a cell)."""

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return h


class LinearNode(nn.Module):
    """Per-node transform ``h'_v = W h_v + b``: no neighbours (a cell's MLP step)."""

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, dim)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.linear(h)


NODE_ONLY_OPS: dict[str, type[nn.Module]] = {"skip": SkipNode, "linear": LinearNode}
"""Ops a cell node may apply besides the registered ones; never a whole layer's op."""


def node_op_names() -> tuple[str, ...]:
    """Every op a cell node may apply: the registered ops, then the node-only ones."""
    return (*op_names(), *NODE_ONLY_OPS)


def build_node_op(name: str, dim: int, heads: int = 1) -> nn.Module:
    """The module of one node's op (``build_op`` for registered ops)."""
    node_only = NODE_ONLY_OPS.get(name)
    return node_only(dim, heads) if node_only is not None else build_op(name, dim, heads)


@dataclass(frozen=True)
class CellSpec:
    """One layer's cell as plain values, checked by :class:`~lgnas.models.Architecture`.

    Attributes:
        ops: Node ``k``'s op is ``ops[k - 1]``.
        inputs: Node ``k`` reads state ``inputs[k - 1]`` (0: the layer input, ``j``: node
            ``j``); ``inputs[0]`` is 0.
        merge: How the loose ends become the layer output, one of :data:`MERGES`.
    """

    ops: tuple[str, ...]
    inputs: tuple[int, ...]
    merge: str = "sum"

    @property
    def outputs(self) -> tuple[int, ...]:
        """The loose ends: nodes no later node reads, merged into the output (never empty:
        the last node is one)."""
        read = set(self.inputs)
        return tuple(k for k in range(1, len(self.ops) + 1) if k not in read)

    def __str__(self) -> str:
        """``lightgcn`` for one node; else ``cell[1 lightgcn(x), 2 gcn(1); sum 2]``, with
        ``x`` the layer input and each node's input in brackets."""
        if len(self.ops) == 1:
            return self.ops[0]
        nodes = ", ".join(
            f"{k} {op}({source or 'x'})"
            for k, (op, source) in enumerate(zip(self.ops, self.inputs), 1)
        )
        return f"cell[{nodes}; {self.merge} {'+'.join(map(str, self.outputs))}]"


class ConcatMerge(nn.Module):
    """The loose ends concatenated, projected back to the width: ``W [s_1 ‖ ... ‖ s_k] + b``."""

    def __init__(self, count: int, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(count * dim, dim)

    def forward(self, states: Sequence[Tensor]) -> Tensor:
        return self.project(torch.cat(list(states), dim=1))


class AttentionMerge(nn.Module):
    """Attention over the loose ends per graph node, HAN's semantic attention (Wang et al.,
    WWW 2019) without its average over nodes: ``Σ_k α_k(v) s_k(v)`` with
    ``α(v) = softmax_k(q · tanh(W s_k(v) + b))``, so each user and item weighs the branches
    its own way."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, dim)
        self.query = nn.Linear(dim, 1, bias=False)

    def forward(self, states: Sequence[Tensor]) -> Tensor:
        stacked = torch.stack(list(states), dim=1)  # [N, k, d]
        weights = torch.softmax(self.query(torch.tanh(self.project(stacked))), dim=1)
        return (weights * stacked).sum(dim=1)


class _Reduce(nn.Module):
    """The loose ends summed, or averaged: no parameters, no stacked copy."""

    def __init__(self, mean: bool) -> None:
        super().__init__()
        self.mean = mean

    def forward(self, states: Sequence[Tensor]) -> Tensor:
        total = functools.reduce(torch.add, states)
        return total / len(states) if self.mean else total


def _merge(name: str, count: int, dim: int) -> nn.Module:
    if name == "concat":
        return ConcatMerge(count, dim)
    if name == "attention":
        return AttentionMerge(dim)
    return _Reduce(mean=name == "mean")


class Cell(nn.Module):
    """The module of a :class:`CellSpec`: ``forward(h, propagate)`` like any op.

    Nodes that propagate the same state share one product ``Â @ s`` (see
    :meth:`~lgnas.models.layers.Propagation.shared`): two nodes reading the layer input with
    ``lightgcn`` and ``gcn`` cost one sparse product, not two.
    """

    def __init__(self, spec: CellSpec, dim: int, heads: int = 1) -> None:
        super().__init__()
        self.spec = spec
        self.nodes = nn.ModuleList(build_node_op(op, dim, heads) for op in spec.ops)
        self.merge = _merge(spec.merge, len(spec.outputs), dim)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        propagate = propagate.shared()
        states = [h]
        for node, source in zip(self.nodes, self.spec.inputs):
            states.append(node(states[source], propagate))
        return self.merge([states[k] for k in self.spec.outputs])


def build_layer(spec: CellSpec, dim: int, heads: int = 1) -> nn.Module:
    """One layer's module: the op itself for a one-node cell (the same parameters and
    state-dict keys as a layer before cells, so saved models load and seeds repeat), else a
    :class:`Cell`."""
    if len(spec.ops) == 1:
        return build_op(spec.ops[0], dim, heads)
    return Cell(spec, dim, heads)
