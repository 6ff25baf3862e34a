"""A GNN recommender assembled from an :class:`Architecture`."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import Architecture
from lgnas.models.layers import ACTIVATION_FUNCTIONS, Propagation, build_op


class GNNRecommender(nn.Module):
    """ID embeddings refined by message passing on the user-item graph, scored by dot product.

    Layer ``l`` computes ``h_l = dropout(act(transform(op(h_{l-1}))) [+ h_{l-1}])``; the final
    representation combines ``h_0 .. h_L`` as the architecture says. With no layers this is
    BPR matrix factorisation.

    Args:
        architecture: The candidate's structure.
        graph: Training interactions as a bipartite graph (never validation or test edges).
    """

    def __init__(self, architecture: Architecture, graph: BipartiteGraph) -> None:
        super().__init__()
        arch = self.architecture = architecture
        self.num_users, self.num_items = graph.num_users, graph.num_items
        self.embedding = nn.Embedding(graph.num_nodes, arch.dim)
        self.ops = nn.ModuleList(build_op(op, arch.dim, arch.heads) for op in arch.op)
        self.transforms = nn.ModuleList(
            nn.Linear(arch.dim, arch.dim) if t == "linear" else nn.Identity()
            for t in arch.transform
        )
        self.layer_logits = (
            nn.Parameter(torch.zeros(arch.num_layers + 1)) if arch.combine == "weighted" else None
        )
        self.adjacency = graph.adjacency(arch.norm) if arch.num_layers else None
        self.register_buffer("edge_index", graph.edge_index, persistent=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform user and item tables, each on its own fan (as RecBole's LightGCN).

        Layers keep PyTorch's defaults.
        """
        with torch.no_grad():
            nn.init.xavier_uniform_(self.embedding.weight[: self.num_users])
            nn.init.xavier_uniform_(self.embedding.weight[self.num_users :])

    @property
    def output_dim(self) -> int:
        """Width of the final user and item representations."""
        layers = self.architecture.num_layers + 1
        return self.architecture.dim * (layers if self.architecture.combine == "concat" else 1)

    def forward(self) -> tuple[Tensor, Tensor]:
        """Final ``(user, item)`` representations, ``[U, out]`` and ``[I, out]``."""
        arch = self.architecture
        h = self.embedding.weight
        outputs = [h]
        if arch.num_layers:
            propagate = Propagation(
                self.adjacency, self.edge_index, arch.edge_dropout, self.training
            )
            for op, transform, activation in zip(self.ops, self.transforms, arch.activation):
                out = ACTIVATION_FUNCTIONS[activation](transform(op(h, propagate)))
                if arch.residual:
                    out = out + h
                h = F.dropout(out, arch.dropout, self.training)
                outputs.append(F.normalize(h, dim=1) if arch.layer_l2norm else h)
        final = self._combine(outputs)
        return final[: self.num_users], final[self.num_users :]

    def _combine(self, outputs: list[Tensor]) -> Tensor:
        combine = self.architecture.combine
        if combine == "last":
            return outputs[-1]
        if combine == "concat":
            return torch.cat(outputs, dim=1)
        if combine in ("sum", "mean"):
            total = functools.reduce(torch.add, outputs)  # no stacked copy of every layer
            return total if combine == "sum" else total / len(outputs)
        weights = torch.softmax(self.layer_logits, 0)
        return torch.einsum("l,lnd->nd", weights, torch.stack(outputs))

    def batch_l2(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``(|e_u|² + |e_i|² + |e_j|²) / (2B)`` over the batch's raw ID embeddings.

        The LightGCN / RecBole regulariser. Written as occurrence counts times squared row
        norms over the whole table: the same value, without gathering and scattering rows.
        """
        nodes = torch.cat([users, pos + self.num_users, neg.reshape(-1) + self.num_users])
        counts = torch.bincount(nodes, minlength=self.embedding.num_embeddings)
        weight = self.embedding.weight
        return (counts.to(weight.dtype) @ weight.pow(2).sum(1)) / (2 * len(users))
