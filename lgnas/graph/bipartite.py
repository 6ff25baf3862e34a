"""The user-item bipartite graph of the training interactions, as GNN recommenders see it."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import torch
from torch import Tensor

from lgnas.errors import ConfigError
from lgnas.graph.ordering import lexsort, stable_argsort
from lgnas.graph.sparse import SparseAdjacency

# The architecture's adjacency normalisations (lgnas.models.architecture.NORMALISATIONS).
NORMALISATIONS = ("symmetric", "left", "none")


class BipartiteGraph:
    """Users and items as one node set: users ``0..U-1``, items ``U..U+I-1``.

    Each training interaction is an undirected edge, stored in both directions: entry ``e`` is
    user -> item and entry ``E + e`` item -> user, so edge dropout can drop both halves at once.
    Normalised adjacencies are built once per normalisation and cached.

    Args:
        user: Dense user id of each training interaction.
        item: Dense item id of each training interaction (unique ``(user, item)`` pairs).
        num_users: Number of users (including users without training interactions).
        num_items: Number of items (including items without training interactions).
    """

    def __init__(self, user: np.ndarray, item: np.ndarray, num_users: int, num_items: int) -> None:
        self.num_users = num_users
        self.num_items = num_items
        self.user = torch.as_tensor(np.asarray(user), dtype=torch.int64)
        self.item = torch.as_tensor(np.asarray(item), dtype=torch.int64)
        self._adjacency: dict[str, SparseAdjacency] = {}

    @property
    def num_nodes(self) -> int:
        """Users plus items."""
        return self.num_users + self.num_items

    @property
    def num_edges(self) -> int:
        """Undirected user-item edges (training interactions)."""
        return int(self.user.numel())

    @cached_property
    def edge_index(self) -> Tensor:
        """``[2, 2E]`` node indices, user -> item edges first, then item -> user."""
        half = self.num_edges
        index = torch.empty(2, 2 * half, dtype=torch.int64)  # filled in place: no copies
        index[0, :half] = index[1, half:] = self.user
        torch.add(self.item, self.num_users, out=index[0, half:])
        index[1, :half] = index[0, half:]
        return index

    @cached_property
    def degree(self) -> Tensor:
        """Node degree (number of training interactions) as float."""
        users = torch.bincount(self.user, minlength=self.num_users)
        return torch.cat([users, torch.bincount(self.item, minlength=self.num_items)]).float()

    def edge_weight(self, norm: str) -> Tensor:
        """Per-entry weights of the adjacency under ``norm`` (isolated nodes get no weight).

        ``symmetric`` is ``D^-1/2 A D^-1/2`` (GCN, LightGCN), ``left`` is ``D^-1 A`` (neighbour
        mean, GraphSAGE), ``none`` is ``A`` (neighbour sum, GIN).
        """
        if norm not in NORMALISATIONS:
            raise ConfigError(
                f"unknown adjacency normalisation {norm!r}; choose one of {list(NORMALISATIONS)}"
            )
        src, dst = self.edge_index
        ones = torch.ones(src.numel())
        if norm == "none":
            return ones
        inv = self.degree.clamp(min=1.0)
        if norm == "left":
            return ones / inv.index_select(0, src)
        inv_sqrt = inv.pow(-0.5)  # index_select: the values of [src], in half the time
        return inv_sqrt.index_select(0, src) * inv_sqrt.index_select(0, dst)

    def adjacency(self, norm: str = "symmetric") -> SparseAdjacency:
        """The normalised adjacency as a :class:`SparseAdjacency`, built once per ``norm``."""
        if norm not in self._adjacency:
            src, dst = self.edge_index
            order, half = self._csr_order, self.num_edges
            # Entries e and E + e are one edge's two directions: each slot of the transpose
            # holds the other direction of the entry in that slot of the matrix.
            mirrored = torch.where(order < half, order + half, order - half)
            self._adjacency[norm] = SparseAdjacency(
                src, dst, self.edge_weight(norm), self.num_nodes, order, mirrored
            )
        return self._adjacency[norm]

    @cached_property
    def _csr_order(self) -> Tensor:
        """Entries by row, then column: users' edges by (user, item), then the items' reverse
        edges by (item, user), a stable re-sort of the first by item. Cheaper than sorting all
        ``2E`` entries at once, and the same order."""
        user, item = self.user.numpy(), self.item.numpy()
        by_user = lexsort((item, user))
        by_item = by_user[stable_argsort(item[by_user])]
        return torch.from_numpy(np.concatenate([by_user, by_item + len(user)]))
