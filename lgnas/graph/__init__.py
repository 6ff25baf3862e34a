"""The user-item graph and the sparse products that propagate embeddings over it."""

from __future__ import annotations

from lgnas.graph.bipartite import NORMALISATIONS, BipartiteGraph
from lgnas.graph.sparse import SparseAdjacency

__all__ = ["NORMALISATIONS", "BipartiteGraph", "SparseAdjacency"]
