"""The CSR graph attention equals PyG's ``GATConv`` (the reference), forward and backward."""

from __future__ import annotations

import pytest
import torch

from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.layers import GATConv, Propagation


@pytest.mark.parametrize("heads", [1, 3])
@pytest.mark.parametrize("edge_dropout", [0.0, 0.7])
def test_gat_equals_pyg_gatconv_with_its_gradients(
    small_graph: BipartiteGraph, heads: int, edge_dropout: float
) -> None:
    torch.manual_seed(heads)
    layer = GATConv(8, heads)
    h = torch.randn(small_graph.num_nodes, 8, requires_grad=True)
    adjacency = small_graph.adjacency("none")
    propagate = Propagation(adjacency, small_graph.edge_index, edge_dropout, training=True)
    if edge_dropout:  # at 0.7 some nodes keep no edge at all: they get the bias alone
        kept = torch.zeros(small_graph.num_nodes).index_add_(
            0, propagate.edge_index[1], torch.ones(propagate.edge_index.size(1))
        )
        assert (kept == 0).any() and (kept > 0).any()
    ours = layer(h, propagate)
    weights = torch.randn_like(ours)  # a loss that weighs every output differently
    grads = torch.autograd.grad((ours * weights).sum(), [h, *layer.parameters()])
    reference = layer.conv(h, propagate.edge_index)  # PyG's per-edge messages
    expected = torch.autograd.grad((reference * weights).sum(), [h, *layer.parameters()])
    torch.testing.assert_close(ours, reference, rtol=1e-5, atol=1e-6)
    for got, want in zip(grads, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


def test_the_weighted_product_has_both_gradients(small_graph: BipartiteGraph) -> None:
    """``W @ x`` with learnt entries against the dense product's autograd."""
    adjacency = small_graph.adjacency("symmetric")
    torch.manual_seed(0)
    weights = torch.rand(adjacency.nnz, dtype=torch.float64, requires_grad=True)
    x = torch.randn(small_graph.num_nodes, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda w, v: adjacency.weighted_matmul(w.float(), v.float()).double(),
        (weights, x),
        eps=1e-3,
        atol=1e-2,
    )
    dense = torch.zeros(small_graph.num_nodes, small_graph.num_nodes, dtype=torch.float64)
    rows = adjacency.slot_rows()
    dense = dense.index_put((rows, adjacency.ccol), weights)
    torch.testing.assert_close(
        adjacency.weighted_matmul(weights.float(), x.float()).double(),
        dense @ x,
        rtol=1e-5,
        atol=1e-6,
    )
