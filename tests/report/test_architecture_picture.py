"""The picture of a found architecture says what the model computes: layers, cells, merge."""

from __future__ import annotations

from pathlib import Path

from lgnas.report.architecture import architecture_text, plot_architecture

CELLS = {
    "num_layers": 2,
    "cell_nodes": [3, 1],
    "op": ["lightgcn", "gat"],
    "op2": ["gcn", "gcn"],
    "input2": [0, 0],
    "op3": ["skip", "skip"],
    "input3": [1, 0],
    "cell_merge": ["concat", "sum"],
    "activation": ["relu", "identity"],
    "transform": ["none", "linear"],
    "heads": 2,
    "dim": 32,
    "combine": "weighted",
    "score": "cosine",
}


def test_each_layer_names_its_nodes_inputs_and_merge() -> None:
    optim = {"loss": "softmax", "temperature": 0.2, "num_negatives": 16, "lr": 0.001}
    assert architecture_text(CELLS, optim) == [
        "embeddings: users and items, dim 32",
        # Node 2 reads the layer input, node 3 node 1: the loose ends are nodes 2 and 3.
        "layer 1: cell of 3 nodes: node 1 = lightgcn(x), node 2 = gcn(x), "
        "node 3 = skip(node 1); output = concat of node 2 + node 3 (relu)",
        "layer 2: gat (linear transform, 2 heads)",
        "combine: weighted of embeddings + layer 1 + layer 2",
        "score: cosine / τ 0.2, trained with softmax loss",
    ]


def test_matrix_factorisation_is_embeddings_and_a_score() -> None:
    assert architecture_text({"num_layers": 0, "dim": 128}) == [
        "embeddings: users and items, dim 128",
        "score: dot",
    ]


def test_the_drawing_grows_with_the_model(tmp_path: Path) -> None:
    from matplotlib.image import imread

    sizes = []
    for name, arch in (("mf", {"num_layers": 0}), ("cells", CELLS)):
        path = plot_architecture(arch, tmp_path / f"{name}.png", title=name)
        assert path.read_bytes()[:4] == b"\x89PNG"
        sizes.append(imread(path).shape[0])
    assert sizes[1] > 2 * sizes[0]  # two layer bands, one of a 2-row cell, and the combine
