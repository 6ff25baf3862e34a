"""Weight inheritance copies exactly the tensors a child shares with its parent by name and
shape; every other tensor keeps the child's fresh initialisation."""

from __future__ import annotations

from pathlib import Path

import torch

from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import Architecture
from lgnas.models.inherit import inherit_weights, load_weights, save_weights
from lgnas.models.recommender import GNNRecommender

# The parent's layer 2 is one gcn op; the child's is a two-node cell with a concat merge
# (new tensors, and a projection whose name is new), and its layer 1 keeps the parent's op.
PARENT = {"num_layers": 2, "op": ["ngcf", "gcn"], "dim": 8}
CHILD = {
    **PARENT,
    "cell_nodes": [1, 2],
    "op2": ["skip", "ngcf"],
    "input2": [0, 0],
    "cell_merge": ["sum", "concat"],
}


def _model(values: dict, seed: int, graph: BipartiteGraph) -> GNNRecommender:
    torch.manual_seed(seed)
    return GNNRecommender(Architecture.from_dict(values), graph)


def test_inheritance_copies_exactly_the_name_and_shape_matches(
    small_graph: BipartiteGraph, tmp_path: Path
) -> None:
    parent = _model(PARENT, 1, small_graph)
    with torch.no_grad():  # trained weights: nothing a fresh model could equal by chance
        for tensor in parent.state_dict().values():
            tensor.add_(1.0)
    save_weights(parent, tmp_path / "parent.weights.pt")
    fresh, child = _model(CHILD, 2, small_graph), _model(CHILD, 2, small_graph)

    copied = inherit_weights(child, load_weights(tmp_path / "parent.weights.pt"))

    theirs, mine = parent.state_dict(), fresh.state_dict()
    matches = [k for k, v in mine.items() if k in theirs and theirs[k].shape == v.shape]
    assert copied == matches
    assert any("embedding" in k for k in copied)  # the embeddings carry over
    assert set(mine) - set(copied)  # and the new cell's tensors do not
    for key, tensor in child.state_dict().items():
        expected = theirs[key] if key in copied else mine[key]
        torch.testing.assert_close(tensor, expected, rtol=0, atol=0)


def test_a_tensor_whose_shape_changed_is_not_inherited(small_graph: BipartiteGraph) -> None:
    """A third concatenated node widens the merge's projection under the same name."""
    wider = {**CHILD, "cell_nodes": [1, 3], "op3": ["skip", "gcn"], "input3": [0, 0]}
    parent, child = _model(CHILD, 1, small_graph), _model(wider, 2, small_graph)
    before = {k: v.clone() for k, v in child.state_dict().items()}
    copied = inherit_weights(child, parent.state_dict())
    assert "ops.1.merge.project.weight" in parent.state_dict()
    assert "ops.1.merge.project.weight" not in copied
    assert "ops.1.nodes.1.sum_linear.weight" in copied  # the unchanged node carries over
    for key in set(before) - set(copied):
        torch.testing.assert_close(child.state_dict()[key], before[key], rtol=0, atol=0)
