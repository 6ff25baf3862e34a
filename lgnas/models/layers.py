"""Message-passing operators a candidate can use per layer.

Every operator maps node features ``h`` (users and items stacked, ``[U + I, d]``) to new features
of the same width. Weighted-sum operators aggregate with the architecture's normalised adjacency
through :class:`Propagation` (one CSR product); ``gat`` needs per-edge attention and uses PyG.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lgnas.graph.sparse import SparseAdjacency


class Propagation:
    """One training step's view of the graph: ``Â @ h`` and the edges kept after edge dropout."""

    def __init__(
        self, adjacency: SparseAdjacency, edge_index: Tensor, edge_dropout: float, training: bool
    ) -> None:
        self.adjacency = adjacency
        self.edge_index = edge_index
        self.value: Tensor | None = None
        if training and edge_dropout > 0:
            # Drop undirected edges: entry e and its reverse E + e share one draw.
            num_edges = edge_index.size(1) // 2
            keep = torch.rand(num_edges, device=edge_index.device) >= edge_dropout
            keep2 = torch.cat([keep, keep])
            self.value = adjacency.value * keep2 / (1.0 - edge_dropout)
            self.edge_index = edge_index[:, keep2]

    def __call__(self, h: Tensor) -> Tensor:
        return self.adjacency.matmul(h, self.value)


class LightGCNConv(nn.Module):
    """LightGCN propagation ``Â h``: no weights, no self-loop (He et al., SIGIR 2020)."""

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return propagate(h)


class GCNConv(nn.Module):
    """GCN layer ``W Â h + b`` (Kipf & Welling, ICLR 2017) on the bipartite graph."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, dim)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.linear(propagate(h))


class SAGEConv(nn.Module):
    """GraphSAGE layer ``W_self h + W_neigh Â h`` (Hamilton et al., NeurIPS 2017).

    With ``norm=left`` the aggregation is the neighbour mean of the paper.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.self_linear = nn.Linear(dim, dim)
        self.neigh_linear = nn.Linear(dim, dim, bias=False)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.self_linear(h) + self.neigh_linear(propagate(h))


class GINConv(nn.Module):
    """GIN layer ``MLP((1 + eps) h + Â h)`` with a learnable ``eps`` (Xu et al., ICLR 2019)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.eps = nn.Parameter(torch.zeros(()))
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.mlp((1.0 + self.eps) * h + propagate(h))


class NGCFConv(nn.Module):
    """NGCF layer ``W1 (Â + I) h + W2 ((Â h) ⊙ h)`` (Wang et al., SIGIR 2019, eq. 7).

    The activation (LeakyReLU in the paper) is applied by the recommender after the layer.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.sum_linear = nn.Linear(dim, dim)
        self.bi_linear = nn.Linear(dim, dim)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        side = propagate(h)
        return self.sum_linear(side + h) + self.bi_linear(side * h)


class GATConv(nn.Module):
    """Graph attention layer (Veličković et al., ICLR 2018) via PyG, heads averaged.

    Attention replaces the adjacency normalisation; edge dropout still applies.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        from torch_geometric.nn import GATConv as PygGATConv

        self.conv = PygGATConv(dim, dim, heads=heads, concat=False, add_self_loops=False)

    def forward(self, h: Tensor, propagate: Propagation) -> Tensor:
        return self.conv(h, propagate.edge_index)


def build_op(name: str, dim: int, heads: int) -> nn.Module:
    """The operator module for ``name`` (validated by :class:`Architecture`)."""
    builders: dict[str, Callable[[], nn.Module]] = {
        "lightgcn": LightGCNConv,
        "gcn": lambda: GCNConv(dim),
        "sage": lambda: SAGEConv(dim),
        "gin": lambda: GINConv(dim),
        "ngcf": lambda: NGCFConv(dim),
        "gat": lambda: GATConv(dim, heads),
    }
    return builders[name]()


ACTIVATION_FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "identity": lambda x: x,
    "relu": F.relu,
    # 0.2 as in NGCF's LeakyReLU.
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
}
