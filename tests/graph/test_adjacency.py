from __future__ import annotations

import pytest
import torch

from lgnas.graph.bipartite import BipartiteGraph
from lgnas.graph.sparse import SparseAdjacency


def _dense(graph: BipartiteGraph) -> torch.Tensor:
    a = torch.zeros(graph.num_nodes, graph.num_nodes)
    u, i = graph.user, graph.item + graph.num_users
    a[u, i] = 1.0
    a[i, u] = 1.0
    return a


@pytest.mark.parametrize("norm", ["symmetric", "left", "none"])
def test_normalised_adjacency_matches_dense_formula(small_graph: BipartiteGraph, norm: str) -> None:
    a = _dense(small_graph)
    deg = a.sum(1).clamp(min=1)
    expected = {
        "symmetric": a / deg.sqrt()[:, None] / deg.sqrt()[None, :],
        "left": a / deg[:, None],
        "none": a,
    }[norm]
    torch.testing.assert_close(small_graph.adjacency(norm).to_dense(), expected)


@pytest.mark.parametrize("norm", ["symmetric", "left"])
def test_the_graphs_layout_is_the_one_sorting_both_matrices_gives(
    small_graph: BipartiteGraph, norm: str
) -> None:
    """The graph skips a sort (bipartite order) and the transpose's (mirrored entries)."""
    shuffled = torch.randperm(small_graph.num_edges, generator=torch.Generator().manual_seed(0))
    graph = BipartiteGraph(
        small_graph.user[shuffled].numpy(),
        small_graph.item[shuffled].numpy(),
        small_graph.num_users,
        small_graph.num_items,
    )
    fast = graph.adjacency(norm)
    src, dst = graph.edge_index
    sorted_ = SparseAdjacency(src, dst, graph.edge_weight(norm), graph.num_nodes)
    for name in ("crow", "ccol", "order", "tcrow", "tcol", "torder", "value"):
        torch.testing.assert_close(getattr(fast, name), getattr(sorted_, name), rtol=0, atol=0)


def test_matmul_and_its_gradient_match_dense_products() -> None:
    torch.manual_seed(0)
    dense = (torch.rand(9, 9) < 0.3).float() * torch.rand(9, 9)  # not symmetric
    row, col = dense.nonzero().T
    adjacency = SparseAdjacency(row, col, dense[row, col], 9)
    x = torch.randn(9, 4, requires_grad=True)
    grad_out = torch.randn(9, 4)
    out = adjacency.matmul(x)
    out.backward(grad_out)
    torch.testing.assert_close(out, dense @ x.detach())
    torch.testing.assert_close(x.grad, dense.T @ grad_out)


@pytest.mark.parametrize("replaced", [False, True])
def test_matmul_rows_and_its_gradient_match_dense_products(replaced: bool) -> None:
    """``(A @ x)[rows]`` for distinct rows in any order, one with no entries."""
    generator = torch.Generator().manual_seed(1)
    dense = (torch.rand(30, 30, generator=generator) < 0.2).float()
    dense[5] = 0.0  # a row with no entries
    dense *= torch.rand(30, 30, generator=generator)  # not symmetric
    row, col = dense.nonzero().T
    adjacency = SparseAdjacency(row, col, dense[row, col], 30)
    value = None
    if replaced:  # edge dropout's values, in COO order
        value = adjacency.value * (torch.rand(len(row), generator=generator) < 0.5)
        dense = torch.zeros(30, 30).index_put_((row, col), value)
    rows = torch.tensor([17, 0, 29, 5, 6])
    x = torch.randn(30, 4, generator=generator, requires_grad=True)
    grad_out = torch.randn(5, 4, generator=generator)
    out = adjacency.matmul_rows(x, rows, value)
    out.backward(grad_out)
    torch.testing.assert_close(out, (dense @ x.detach())[rows])
    torch.testing.assert_close(x.grad, dense[rows].T @ grad_out)


def test_matmul_with_replaced_values_uses_them() -> None:
    dense = torch.tensor([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [0.0, 4.0, 0.0]])
    row, col = dense.nonzero().T
    adjacency = SparseAdjacency(row, col, dense[row, col], 3)
    halved = adjacency.value * torch.tensor([1.0, 0.0, 1.0, 1.0])
    x = torch.eye(3, requires_grad=True)
    out = adjacency.matmul(x, halved)
    expected = dense.clone()
    expected[1, 0] = 0.0  # the second COO entry (1, 0) was zeroed
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    torch.testing.assert_close(x.grad, expected.T @ torch.ones(3, 3))


def test_replaced_values_are_reused_only_while_the_same_tensor_comes_back() -> None:
    """A step's edge-dropout values serve all of its products from one CSR pair; the next
    step's values (a new tensor) must never hit that pair."""
    dense = torch.tensor([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0], [0.0, 4.0, 0.0]])
    row, col = dense.nonzero().T
    adjacency = SparseAdjacency(row, col, dense[row, col], 3)
    x = torch.eye(3)
    steps = [adjacency.value * torch.tensor(keep) for keep in ([1.0, 0, 1, 1], [0.0, 1, 1, 0])]
    for value, change in ((steps[0], 1.0), (steps[1], 1.0), (steps[0], 1.0), (steps[0], 2.0)):
        value.mul_(change)  # the last: the same tensor, changed in place
        expected = torch.zeros(3, 3).index_put_((row, col), value)
        torch.testing.assert_close(adjacency.matmul(x, value), expected)
        torch.testing.assert_close(adjacency.matmul(x, value), expected)


def test_matmul_accepts_half_precision_inputs(small_graph: BipartiteGraph) -> None:
    adjacency = small_graph.adjacency("symmetric")
    x = torch.randn(small_graph.num_nodes, 4).bfloat16().requires_grad_()
    out = adjacency.matmul(x)
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()
    assert x.grad is not None and x.grad.dtype == torch.bfloat16
    expected = adjacency.to_dense() @ x.detach().float()
    torch.testing.assert_close(out.float(), expected, atol=2e-2, rtol=2e-2)


def test_a_gcn_layer_trains_under_bf16_autocast(small_graph: BipartiteGraph) -> None:
    from lgnas.models import Architecture, GNNRecommender

    model = GNNRecommender(Architecture(num_layers=2, op="gcn"), small_graph)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        users, items = model()
        loss = (users @ items.T).float().mean()
    loss.backward()
    assert torch.isfinite(model.embedding.weight.grad).all()
