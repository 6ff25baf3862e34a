"""A space split for a staged search: macro choices with one-op layers, and one layer's cell."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.space import (
    SearchSpace,
    layer_space,
    load_space,
    macro_space,
    single_op_point,
    with_layer,
)

CELL = {"cell_nodes", "op2", "input2", "op3", "input3", "op4", "input4", "cell_merge"}


def test_the_macro_space_is_everything_but_the_cells_extra_nodes() -> None:
    cells = load_space("cells")
    macro = macro_space(cells)
    assert set(macro.names) == set(cells.names) - CELL
    assert "op" in macro.names and macro.dimensions["op"].per_layer == "num_layers"
    rng = np.random.default_rng(0)
    for _ in range(20):
        point = single_op_point(cells, macro.sample(rng))
        assert point["cell_nodes"] == [1] * point["num_layers"]
        assert not CELL - {"cell_nodes"} & set(point)


def test_the_layer_space_holds_one_cell_as_plain_dimensions() -> None:
    cells = layer_space(load_space("cells"))
    assert set(cells.names) == CELL | {"op"}
    assert all(dim.per_layer is None for dim in cells.dimensions.values())
    assert cells.validate({"cell_nodes": 2, "op": "gcn", "op2": "skip", "input2": 0,
                           "cell_merge": "mean"})  # fmt: skip


def test_with_layer_changes_that_layer_and_nothing_else() -> None:
    space = load_space("cells")
    base = single_op_point(space, macro_space(space).sample(np.random.default_rng(3)))
    base = with_layer(space, base, 0, {"cell_nodes": 1, "op": "gcn"})
    layers = base["num_layers"]
    cell = {"cell_nodes": 3, "op": "lightgcn", "op2": "gat", "input2": 1, "op3": "linear",
            "input3": 0, "cell_merge": "concat"}  # fmt: skip
    last = layers - 1
    changed = with_layer(space, base, last, cell)
    for name in cell:
        assert changed[name][last] == cell[name]
    for name, value in base.items():  # other layers and every macro gene unchanged
        if isinstance(value, list):
            assert changed[name][:last] == value[:last]
        else:
            assert changed[name] == value
    assert changed["activation"] == base["activation"]


def test_a_gene_that_becomes_active_takes_its_first_choice() -> None:
    space = load_space("default")
    base = {"num_layers": 1, "op": ["gcn"], "transform": ["none"], "activation": ["relu"],
            "combine": "last", "norm": "left", "layer_l2norm": False, "dropout": 0.0,
            "edge_dropout": 0.0, "residual": False, "dim": 32, "loss": "bpr", "score": "dot",
            "lr": 1e-3, "reg": 1e-5, "num_negatives": 1}  # fmt: skip
    assert with_layer(space, base, 0, {"op": "gat"})["heads"] == 1


def test_stages_need_one_node_cells() -> None:
    space = SearchSpace.from_dict({"dimensions": {
        "num_layers": {"type": "int", "low": 1, "high": 2},
        "cell_nodes": {"type": "int", "low": 2, "high": 3, "per_layer": "num_layers"},
        "op": {"type": "categorical", "choices": ["gcn"], "per_layer": "num_layers"},
    }})  # fmt: skip
    with pytest.raises(ConfigError, match="needs one-node cells, but cell_nodes cannot be 1"):
        macro_space(space)


def test_a_space_without_per_layer_ops_has_no_layer_space() -> None:
    with pytest.raises(ConfigError, match="has no per-layer 'op' dimension"):
        layer_space(load_space("tiny"))
