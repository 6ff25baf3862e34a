"""Graph attention on the sparse adjacency: a softmax over each node's edges, then a weighted sum.

GAT's aggregation, written on the adjacency's CSR structure rather than as per-edge messages:
the per-edge work is one score per edge and head, and the sums are CSR products whose
gradients are CSR products too (:meth:`SparseAdjacency.weighted_matmul`). Message passing over
an edge list instead copies every source row once per edge and head, forward and backward,
which on CPU costs many times more.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor

from lgnas.graph.sparse import SparseAdjacency

# A node whose every edge was dropped gets weights 0/_EMPTY = 0: nothing, as with no edges.
_EMPTY = 1e-16


def attention_sum(
    adjacency: SparseAdjacency,
    x: Tensor,
    source: Tensor,
    target: Tensor,
    keep: Tensor | None = None,
    slope: float = 0.2,
) -> Tensor:
    """Per head ``h``: ``out[v, h] = Σ_{u ∈ N(v)} α_vu^h x[u, h]`` with
    ``α_v·^h = softmax_u(LeakyReLU_slope(source[u, h] + target[v, h]))`` over ``v``'s edges.

    The adjacency's values are ignored: only its structure (who neighbours whom) counts, as
    attention replaces the normalisation.

    Args:
        adjacency: The graph; row ``v`` lists the neighbours ``u`` that ``v`` aggregates.
        x: Node features per head, ``[nodes, heads, dim]``.
        source: A neighbour's attention score per head, ``[nodes, heads]``.
        target: The aggregating node's score per head, ``[nodes, heads]``.
        keep: Which entries survive edge dropout, in the adjacency's COO order; ``None``: all.
        slope: The LeakyReLU's negative slope (GAT's 0.2).

    Returns:
        ``[nodes, heads, dim]``.
    """
    rows = adjacency.slot_rows()
    per_slot = functools.partial(torch.index_select, dim=0, index=rows)  # a node's row, per slot
    # index_select: a fraction of the time of tensor[index], forward and backward
    logits = torch.index_select(source, 0, adjacency.ccol) + per_slot(target)
    logits = F.leaky_relu(logits, slope)  # [slots, heads]
    index = rows.unsqueeze(-1).expand_as(logits)
    with torch.no_grad():  # the softmax does not depend on the shift; it only keeps exp finite
        shift = torch.full_like(target, -torch.inf).scatter_reduce(0, index, logits, "amax")
    weights = torch.exp(logits - per_slot(shift))
    if keep is not None:
        kept = torch.index_select(keep, 0, adjacency.order)
        weights = weights * kept.unsqueeze(-1).to(weights.dtype)
    total = torch.zeros_like(target).index_add(0, rows, weights)
    weights = weights / per_slot(total).clamp_min(_EMPTY)
    heads = [
        adjacency.weighted_matmul(weights[:, h].contiguous(), x[:, h].contiguous())
        for h in range(x.size(1))
    ]
    return torch.stack(heads, dim=1)
