"""Message-passing operators a candidate can use per layer, and the registry that names them.

Every operator maps node features ``h`` (users and items stacked, ``[U + I, d]``) to new features
of the same width. Weighted-sum operators aggregate with the architecture's normalised adjacency
``Â`` through :class:`Propagation` (one CSR product); ``gat`` needs per-edge attention and uses
PyG. ``Â`` is ``D^-1/2 A D^-1/2`` (``norm=symmetric``, the default), ``D^-1 A`` (``left``, the
neighbour mean) or ``A`` (``none``, the neighbour sum), with no self-loops; edge dropout removes
both directions of an edge and scales the kept entries by ``1 / (1 - p)``. The activation,
extra transform, residual, dropout and layer combination are the recommender's, not the
operator's: the formulas below are one layer's ``h -> h'`` before them.

An operator is declared once, by decorating its class with :func:`register_op`: the name is
then a valid ``op`` of :class:`~lgnas.models.architecture.Architecture` and of the search-space
YAMLs, :func:`build_op` constructs it as ``cls(dim, heads)``, and ``python -m lgnas.models``
lists it with the first line of its docstring (the paper).
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lgnas.errors import ConfigError
from lgnas.graph.attention import attention_sum
from lgnas.graph.sparse import SparseAdjacency

OpClass = TypeVar("OpClass", bound=type[nn.Module])

_OPS: dict[str, type[nn.Module]] = {}
OP_REGISTRY: Mapping[str, type[nn.Module]] = MappingProxyType(_OPS)
"""Registered operators, name -> class, in registration order (read-only view)."""

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def register_op(name: str) -> Callable[[OpClass], OpClass]:
    """Class decorator declaring a message-passing operator under ``name``.

    The class must be an ``nn.Module`` constructible as ``cls(dim, heads)`` whose
    ``forward(h, propagate)`` maps ``[U + I, dim]`` features to ``[U + I, dim]``, given the
    step's :class:`Propagation`; its docstring's first line names the paper (listings show
    it), the rest gives the formula computed. A name already taken is refused.

    A class attribute ``row_wise = True`` declares that output row ``v`` depends on ``h_v``
    and ``(Â h)_v`` alone, from one ``propagate(h)`` call on the ``h`` given: a last layer of
    such an op is computed at a training step's scored rows only (:meth:`Propagation.at_rows`).
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(
            f"op name {name!r} must be lower-case letters, digits and underscores, "
            "starting with a letter"
        )

    def register(cls: OpClass) -> OpClass:
        where = f"{cls.__module__}.{cls.__qualname__}"
        if name in _OPS:
            taken = _OPS[name]
            raise ConfigError(
                f"op name {name!r} is already registered by "
                f"{taken.__module__}.{taken.__qualname__}; register {where} under another name"
            )
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            raise ConfigError(f"op {name!r}: {where} is not a torch.nn.Module subclass")
        if not (cls.__doc__ or "").strip():
            raise ConfigError(
                f"op {name!r}: {where} has no docstring; its first line should name the paper"
            )
        try:
            inspect.signature(cls).bind(1, 1)
        except TypeError:
            raise ConfigError(
                f"op {name!r}: {where} must be constructible as {cls.__qualname__}(dim, heads)"
            ) from None
        _OPS[name] = cls
        return cls

    return register


def op_names() -> tuple[str, ...]:
    """The registered operator names, in registration order."""
    return tuple(_OPS)


def op_summary(name: str) -> str:
    """The first line of the operator's docstring: the paper and what the layer does."""
    return inspect.cleandoc(_op_class(name).__doc__ or "").splitlines()[0]


def build_op(name: str, dim: int, heads: int = 1) -> nn.Module:
    """The operator module registered as ``name``, for width ``dim`` (``heads``: GAT's)."""
    return _op_class(name)(dim, heads)


def _op_class(name: str) -> type[nn.Module]:
    if name not in _OPS:
        raise ConfigError(f"unknown op {name!r}; registered ops are {list(_OPS)}")
    return _OPS[name]


class Propagation:
    """One training step's view of the graph: ``Â @ h`` and the edges kept after edge dropout.

    Every product of the step uses the adjacency's cached CSR pair (with edge dropout, the
    pair of the step's kept values, built once), so a cell adds no graph preparation.
    """

    def __init__(
        self, adjacency: SparseAdjacency, edge_index: Tensor, edge_dropout: float, training: bool
    ) -> None:
        self.adjacency = adjacency
        self._all_edges = edge_index
        self.value: Tensor | None = None
        self.keep: Tensor | None = None  # the entries edge dropout kept, in COO order
        if training and edge_dropout > 0:
            # Drop undirected edges: entry e and its reverse E + e share one draw.
            num_edges = edge_index.size(1) // 2
            keep = torch.rand(num_edges, device=edge_index.device) >= edge_dropout
            keep2 = torch.cat([keep, keep])
            self.keep = keep2
            self.value = adjacency.value * keep2 / (1.0 - edge_dropout)
        self._products: dict[int, tuple[Tensor, int | None, Tensor]] | None = None

    @functools.cached_property
    def edge_index(self) -> Tensor:
        """The ``[2, E]`` edges kept (for ops that pass messages along an edge list); built on
        first use, as the shipped ops need none."""
        return self._all_edges if self.keep is None else self._all_edges[:, self.keep]

    def shared(self) -> Propagation:
        """This step's propagation, computing ``Â @ x`` once per tensor ``x``: a cell's nodes
        that read the same state share one product (and its backward pass)."""
        view = copy.copy(self)
        view._products = {}
        return view

    def at_rows(self, rows: Tensor, h: Tensor) -> RowPropagation:
        """This step's propagation of ``h`` restricted to ``rows``, for a row-wise op given
        ``h[rows]`` (its ``input``)."""
        return RowPropagation(self, rows, h)

    def __call__(self, h: Tensor) -> Tensor:
        if self._products is None:
            return self.adjacency.matmul(h, self.value)
        # Keyed by identity; the stored tensor keeps its id from being reused, and the
        # version counter catches in-place changes (inference tensors have none).
        version = None if h.is_inference() else h._version
        known = self._products.get(id(h))
        if known is not None and known[0] is h and known[1] == version:
            return known[2]
        out = self.adjacency.matmul(h, self.value)
        self._products[id(h)] = (h, version, out)
        return out


class RowPropagation:
    """``(Â h)[rows]`` for an op that is given ``h[rows]`` (:attr:`input`) in place of ``h``:
    a row-wise op (``row_wise = True``) then computes its output at those rows only."""

    def __init__(self, propagation: Propagation, rows: Tensor, h: Tensor) -> None:
        self.adjacency = propagation.adjacency
        self._value = propagation.value
        self._rows, self._full = rows, h
        self.input = h[rows]

    def __call__(self, h: Tensor) -> Tensor:
        if h is not self.input:
            raise RuntimeError(
                "a row-wise op propagated something other than its input; an op that does "
                "must not set row_wise = True"
            )
        return self.adjacency.matmul_rows(self._full, self._rows, self._value)


@register_op("lightgcn")
class LightGCNConv(nn.Module):
    """LightGCN (He et al., SIGIR 2020): the normalised neighbour sum, no weights, no self-loop.

    ``h'_v = Σ_{u ∈ N(v)} Â_vu h_u``. With the paper's ``norm=symmetric`` this is eq. 3,
    ``e_u^(k+1) = Σ_{i ∈ N(u)} e_i^(k) / sqrt(|N(u)| |N(i)|)``; ``norm=left`` and ``none``
    make it the neighbour mean and the plain sum. The paper's layer combination with weights
    ``1 / (K + 1)`` (eq. 4) is the recommender's ``combine=mean``.
    """

    row_wise = True

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return propagate(h)


@register_op("gcn")
class GCNConv(nn.Module):
    """GCN (Kipf & Welling, ICLR 2017): a linear map of the normalised neighbour sum.

    ``h'_v = W Σ_{u ∈ N(v)} Â_vu h_u + b``, eq. 2 on the bipartite graph (σ is the
    layer's ``activation``). Deviation: no self-loops, where the paper's renormalisation trick
    uses ``Ã = A + I`` and ``D̃``; a node's own features reach the next layer only through
    ``residual`` or the layer combination.
    """

    row_wise = True

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, dim)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.linear(propagate(h))


@register_op("sage")
class SAGEConv(nn.Module):
    """GraphSAGE (Hamilton et al., NeurIPS 2017): own features and aggregated neighbours.

    ``h'_v = W_self h_v + b + W_neigh Σ_{u ∈ N(v)} Â_vu h_u``. With ``norm=left``
    (``Â_vu = 1 / |N(v)|``) this is the mean aggregator of Algorithm 1,
    ``W · [h_v ‖ mean_{u ∈ N(v)} h_u]`` written as two maps; the default symmetric norm weights
    the neighbours by degree instead. Deviations: the full neighbourhood (no sampling), and no
    L2 normalisation of ``h'_v`` (line 7); ``layer_l2norm`` normalises only what enters the
    layer combination.
    """

    row_wise = True

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()
        self.self_linear = nn.Linear(dim, dim)
        self.neigh_linear = nn.Linear(dim, dim, bias=False)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.self_linear(h) + self.neigh_linear(propagate(h))


@register_op("gat")
class GATConv(nn.Module):
    """GAT (Veličković et al., ICLR 2018): attention-weighted neighbour sum, heads averaged.

    PyG's ``GATConv`` with ``K = heads``:
    ``h'_v = 1/K Σ_k Σ_{u ∈ N(v)} α^k_vu W^k h_u + b``, with
    ``α^k_vu = softmax_{u ∈ N(v)} LeakyReLU_0.2(a^k · [W^k h_v ‖ W^k h_u])`` (eqs. 3 and 6,
    averaging as the paper's output layer does, so the width stays ``dim``). Attention replaces
    the adjacency normalisation (``norm`` is unused); edge dropout still applies. Deviations:
    no self-loop (the paper attends over ``N(v) ∪ {v}``), no attention dropout, and a bias.
    """

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()
        from torch_geometric.nn import GATConv as PygGATConv

        # PyG's layer holds the parameters (its names, shapes and initialisation); the
        # aggregation runs on the CSR adjacency (lgnas.graph.attention), many times faster on
        # CPU than PyG's per-edge messages, and equal to them (tests/graph/test_attention.py).
        self.conv = PygGATConv(dim, dim, heads=heads, concat=False, add_self_loops=False)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        conv = self.conv
        x = conv.lin(h).view(-1, conv.heads, conv.out_channels)
        source = (x * conv.att_src).sum(dim=-1)
        target = (x * conv.att_dst).sum(dim=-1)
        out = attention_sum(propagate.adjacency, x, source, target, propagate.keep)
        return out.mean(dim=1) + conv.bias


@register_op("gin")
class GINConv(nn.Module):
    """GIN (Xu et al., ICLR 2019): an MLP of the node's own and its aggregated neighbours' features.

    ``h'_v = MLP((1 + ε) h_v + Σ_{u ∈ N(v)} Â_vu h_u)``, ``MLP = Linear -> ReLU -> Linear``
    (width ``dim``), ``ε`` learnable from 0 (GIN-ε, eq. 4.1). The paper's sum aggregator is
    ``norm=none`` (``Â = A``); the default symmetric norm weights the neighbours by degree.
    Deviation: no batch normalisation inside the MLP (the paper's experiments use it).
    """

    row_wise = True

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(()))
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.mlp((1.0 + self.eps) * h + propagate(h))


@register_op("ngcf")
class NGCFConv(nn.Module):
    """NGCF (Wang et al., SIGIR 2019): sum and bi-interaction messages, each with its own weight.

    ``h'_v = W1 (h_v + s_v) + b1 + W2 (s_v ⊙ h_v) + b2`` with ``s_v = Σ_{u ∈ N(v)} Â_vu h_u``:
    eq. 7, ``(L + I) E W1 + (L E) ⊙ E W2`` with ``L = Â`` (the paper's ``norm=symmetric``),
    which per node is eqs. 3-4: messages ``(W1 e_i + W2 (e_i ⊙ e_u)) / sqrt(|N(u)| |N(i)|)``
    plus the self-message ``W1 e_u``. Deviation: the biases ``b1``, ``b2`` come from the
    authors' code (which, unlike eq. 7 and this layer, applies the LeakyReLU to each of the two
    terms before adding them). The LeakyReLU, message dropout and L2-normalised, concatenated
    layer outputs are the ``ngcf`` preset's ``activation``, ``dropout``, ``layer_l2norm`` and
    ``combine``.
    """

    row_wise = True

    def __init__(self, dim: int, heads: int = 1) -> None:
        super().__init__()
        self.sum_linear = nn.Linear(dim, dim)
        self.bi_linear = nn.Linear(dim, dim)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        side = propagate(h)
        return self.sum_linear(side + h) + self.bi_linear(side * h)


ACTIVATION_FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "identity": lambda x: x,
    "relu": F.relu,
    # 0.2 as in NGCF's LeakyReLU.
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
}
