"""Cells: a one-node cell is the plain layer, and series and parallel cells compute by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from lgnas.errors import ConfigError
from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import Architecture
from lgnas.models.cell import Cell, CellSpec, node_op_names
from lgnas.models.layers import Propagation, build_op, op_names
from lgnas.models.recommender import GNNRecommender

DIM = 8


def _propagation(graph: BipartiteGraph) -> Propagation:
    return Propagation(graph.adjacency("symmetric"), graph.edge_index, 0.0, training=False)


def _features(graph: BipartiteGraph) -> Tensor:
    return torch.randn(graph.num_nodes, DIM, generator=torch.Generator().manual_seed(1))


def _output_and_grads(module: torch.nn.Module, graph: BipartiteGraph) -> list[Tensor]:
    h = _features(graph).requires_grad_()
    out = module(h, _propagation(graph))
    (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
    return [out.detach(), h.grad, *(p.grad for p in module.parameters())]


@pytest.mark.parametrize("op", op_names())
def test_a_one_node_cell_is_the_op(op: str, small_graph: BipartiteGraph) -> None:
    torch.manual_seed(0)
    plain = build_op(op, DIM, 2)
    torch.manual_seed(0)
    cell = Cell(CellSpec((op,), (0,)), DIM, 2)
    for a, b in zip(_output_and_grads(plain, small_graph), _output_and_grads(cell, small_graph)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_one_node_cells_build_todays_model(small_graph: BipartiteGraph) -> None:
    """Explicit one-node cell keys (as a cells-space point writes them) change nothing:
    the same parameters under the same names, the same outputs and gradients."""
    plain = Architecture(num_layers=2, op=["gcn", "ngcf"], combine="concat")
    cells = Architecture.from_dict(
        {**plain.to_dict(), "cell_nodes": [1, 1], "op2": ["sage", "skip"], "input3": [2, 0]}
    )
    assert cells == plain and cells.to_dict() == plain.to_dict()
    models = []
    for arch in (plain, cells):
        torch.manual_seed(0)
        models.append(GNNRecommender(arch, small_graph))
    assert list(models[0].state_dict()) == list(models[1].state_dict())
    results = []
    for model in models:
        users, items = model()
        (users.sum() + items.pow(2).sum()).backward()
        results.append([users, items, *(p.grad for p in model.parameters())])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_a_series_cell_is_its_ops_composed(small_graph: BipartiteGraph) -> None:
    torch.manual_seed(0)
    cell = Cell(CellSpec(("gcn", "sage", "lightgcn"), (0, 1, 2), "sum"), DIM)
    a = small_graph.adjacency("symmetric").to_dense()
    h = _features(small_graph)
    gcn, sage = cell.nodes[0], cell.nodes[1]
    s1 = gcn.linear(a @ h)
    s2 = sage.self_linear(s1) + sage.neigh_linear(a @ s1)
    expected = a @ s2
    torch.testing.assert_close(cell(h, _propagation(small_graph)), expected)


@pytest.mark.parametrize("merge", ["sum", "mean", "concat", "attention"])
def test_a_parallel_cell_merges_its_branches(merge: str, small_graph: BipartiteGraph) -> None:
    torch.manual_seed(0)
    cell = Cell(CellSpec(("lightgcn", "gin", "skip", "linear"), (0, 0, 0, 0), merge), DIM)
    a = small_graph.adjacency("symmetric").to_dense()
    h = _features(small_graph)
    gin, linear = cell.nodes[1], cell.nodes[3]
    branches = [a @ h, gin.mlp((1 + gin.eps) * h + a @ h), h, linear.linear(h)]
    if merge == "sum":
        expected = sum(branches)
    elif merge == "mean":
        expected = sum(branches) / 4
    elif merge == "concat":
        expected = cell.merge.project(torch.cat(branches, dim=1))
    else:
        stacked = torch.stack(branches, dim=1)
        scores = cell.merge.query(torch.tanh(cell.merge.project(stacked)))
        expected = (torch.softmax(scores, dim=1) * stacked).sum(1)
    torch.testing.assert_close(cell(h, _propagation(small_graph)), expected)


def test_a_dag_cell_merges_its_loose_ends(small_graph: BipartiteGraph) -> None:
    spec = CellSpec(("lightgcn", "ngcf", "linear", "lightgcn"), (0, 1, 0, 3), "mean")
    assert spec.outputs == (2, 4)  # node 1 feeds node 2, node 3 feeds node 4
    assert str(spec) == "cell[1 lightgcn(x), 2 ngcf(1), 3 linear(x), 4 lightgcn(3); mean 2+4]"
    torch.manual_seed(0)
    cell = Cell(spec, DIM)
    a = small_graph.adjacency("symmetric").to_dense()
    h = _features(small_graph)
    ngcf, linear = cell.nodes[1], cell.nodes[2]
    s1 = a @ h
    s2 = ngcf.sum_linear(a @ s1 + s1) + ngcf.bi_linear((a @ s1) * s1)
    s4 = a @ linear.linear(h)
    torch.testing.assert_close(cell(h, _propagation(small_graph)), (s2 + s4) / 2)


def test_nodes_reading_one_state_share_its_product(small_graph: BipartiteGraph) -> None:
    adjacency = small_graph.adjacency("symmetric")
    calls = []
    original = adjacency.matmul

    def counted(x: Tensor, value: Tensor | None = None) -> Tensor:
        calls.append(x)
        return original(x, value)

    spec = CellSpec(("lightgcn", "gcn", "sage", "lightgcn"), (0, 0, 0, 1), "sum")
    torch.manual_seed(0)
    cell = Cell(spec, DIM)
    h = _features(small_graph).requires_grad_()
    adjacency.matmul = counted  # type: ignore[method-assign]
    try:
        out = cell(h, Propagation(adjacency, small_graph.edge_index, 0.0, False))
    finally:
        del adjacency.matmul
    assert len(calls) == 2 and calls[0] is h  # A @ h once for three nodes, then A @ node 1
    # The loose ends are nodes 2, 3, 4; the shared product's gradient is the sum of the
    # separate ones.
    out.sum().backward()
    a = adjacency.to_dense()
    gcn, sage = cell.nodes[1], cell.nodes[2]
    x = h.detach().clone().requires_grad_()
    by_hand = gcn.linear(a @ x) + sage.self_linear(x) + sage.neigh_linear(a @ x) + a @ (a @ x)
    by_hand.sum().backward()
    torch.testing.assert_close(out, by_hand)
    torch.testing.assert_close(h.grad, x.grad)


def test_cells_train_with_edge_dropout(small_graph: BipartiteGraph) -> None:
    arch = Architecture.from_dict(
        {
            "num_layers": 2,
            "cell_nodes": [3, 2],
            "op": ["gat", "lightgcn"],
            "op2": ["gcn", "ngcf"],
            "input2": [0, 1],
            "op3": "linear",
            "input3": [1, None],
            "cell_merge": ["attention", "concat"],
            "edge_dropout": 0.3,
            "heads": 2,
        }
    )
    torch.manual_seed(0)
    model = GNNRecommender(arch, small_graph).train()
    users, items = model()
    (users.sum() + items.sum()).backward()
    assert users.shape == (small_graph.num_users, arch.dim)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.ops.parameters())


def test_cells_evaluate_in_inference_mode(small_graph: BipartiteGraph) -> None:
    """Evaluation runs under ``torch.inference_mode`` (Lightning's), where tensors have no
    version counter; the shared products must not need one."""
    arch = Architecture(num_layers=2, cell_nodes=3, op2="gcn", input2=0, cell_merge="mean")
    torch.manual_seed(0)
    model = GNNRecommender(arch, small_graph).eval()
    with torch.no_grad():
        expected = model()
    with torch.inference_mode():
        got = model()
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_absent_nodes_hold_nothing_and_round_trip() -> None:
    arch = Architecture(num_layers=2, cell_nodes=[1, 3], op2="skip", input3=0, cell_merge="mean")
    assert arch.op2 == (None, "skip") and arch.input2 == (None, 1) and arch.op4 == (None, None)
    assert arch.cell_merge == (None, "mean")
    assert arch.cell(1) == CellSpec(("lightgcn", "skip", "lightgcn"), (0, 1, 0), "mean")
    assert Architecture.from_dict(arch.to_dict()) == arch
    assert "cell_nodes" not in Architecture(num_layers=2).to_dict()  # files as before cells
    assert set(node_op_names()) == {*op_names(), "skip", "linear"}


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"cell_nodes": 5}, "'cell_nodes': 5 is not an integer in 1..4"),
        ({"cell_nodes": 2, "input2": 2}, "'input2': 2 is not an input node 2 can read"),
        ({"input4": 4}, "choose 0 (the layer input) or an earlier node, 1..3"),
        ({"cell_nodes": 2, "op2": "transformer"}, "'op2': unknown value 'transformer'"),
        ({"cell_nodes": 2, "cell_merge": "max"}, "'cell_merge': unknown value 'max'"),
        ({"num_layers": 2, "cell_nodes": [2, 1], "op2": [None, "gcn"]}, "layer 1's cell has"),
        ({"num_layers": 2, "cell_nodes": [2, 1, 1]}, "3 values for 2 layers"),
        ({"op": "skip"}, "'op': unknown value 'skip'"),  # node 1 always passes messages
    ],
)
def test_bad_cell_values_get_a_clear_error(values: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as error:
        Architecture.from_dict(values)
    assert fragment in str(error.value)


def test_gradients_reach_every_node_of_a_cell(small_graph: BipartiteGraph) -> None:
    torch.manual_seed(0)
    cell = Cell(CellSpec(("sage", "gin", "linear"), (0, 1, 0), "concat"), DIM)
    out = cell(_features(small_graph), _propagation(small_graph))
    F.mse_loss(out, torch.zeros_like(out)).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in cell.parameters())
