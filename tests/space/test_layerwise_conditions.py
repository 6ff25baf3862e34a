"""Per-layer dimensions conditioned on per-layer dimensions (cells) are decided layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.models.architecture import NODE_KEYS, Architecture
from lgnas.space import SearchSpace, load_space, split_point

# A finite cell space: up to 2 layers of 1-3 nodes; `heads` hangs on a node op being gat,
# which is op2's filler (first choice), so a filler that counted would wrongly activate it.
CELLS = {
    "dimensions": {
        "num_layers": {"type": "int", "low": 1, "high": 2},
        "cell_nodes": {"type": "int", "low": 1, "high": 3, "per_layer": "num_layers"},
        "op": {"type": "categorical", "choices": ["lightgcn", "gcn"], "per_layer": "num_layers"},
        "op2": {
            "type": "categorical",
            "choices": ["gat", "skip"],
            "per_layer": "num_layers",
            "when": {"cell_nodes": [2, 3]},
        },
        "input3": {
            "type": "categorical",
            "choices": [0, 1, 2],
            "per_layer": "num_layers",
            "when": {"cell_nodes": [3]},
        },
        "cell_merge": {
            "type": "categorical",
            "choices": ["sum", "concat"],
            "per_layer": "num_layers",
            "when": {"cell_nodes": [2, 3]},
        },
        "heads": {"type": "categorical", "choices": [1, 4], "when": {"op2": "gat"}},
    }
}


@pytest.fixture(scope="module")
def cells() -> SearchSpace:
    return SearchSpace.from_dict(CELLS)


def test_node_genes_exist_only_where_the_cell_has_the_node(cells: SearchSpace) -> None:
    point = {
        "num_layers": 2,
        "cell_nodes": [1, 3],
        "op": ["gcn", "lightgcn"],
        "op2": [None, "skip"],
        "input3": [None, 1],
        "cell_merge": [None, "concat"],
    }
    canonical = cells.validate(point)
    # Fillers (first choices) where layer 1 has no node 2 or 3; heads stays off: the only
    # searched op2 is skip.
    assert canonical["op2"] == ["gat", "skip"] and canonical["input3"] == [0, 1]
    assert canonical["cell_merge"] == ["sum", "concat"] and "heads" not in canonical
    # Whatever layer 1 holds for nodes it lacks, the point and its key are the same.
    other = {**point, "op2": ["skip", "skip"], "input3": [2, 1], "cell_merge": ["concat", "concat"]}
    assert cells.validate(other) == canonical and cells.key(other) == cells.key(point)
    with pytest.raises(ConfigError, match=r"dimension 'op2': 'sage' is not one of"):
        cells.validate({**point, "op2": ["sage", "skip"]})
    with pytest.raises(ConfigError, match=r"'heads' is inactive .*it needs op2 in \['gat'\]"):
        cells.validate({**point, "heads": 4})
    with pytest.raises(ConfigError, match=r"'input3' is inactive .*no layer has"):
        cells.validate({**point, "cell_nodes": [1, 2]})


def test_only_searched_genes_are_asked_and_encoded(cells: SearchSpace) -> None:
    chosen = {"num_layers": 2, "cell_nodes": [3, 1], "op": "gcn", "op2": "gat", "input3": 2}
    asked = []

    def genes(dim, layer):
        asked.append((dim.name, layer))
        value = chosen.get(dim.name, dim.discretise(8)[-1])
        return value[layer] if isinstance(value, list) else value

    point = cells.build(genes)
    assert ("op2", 0) in asked and ("op2", 1) not in asked and ("input3", 1) not in asked
    assert point["heads"] == 4  # layer 1's op2 is a searched gat
    vector = cells.encode(point)
    assert (vector[cells.block("op2", 1)] == 0.5).all()  # layer 2 has no node 2
    assert (vector[cells.block("op2", 0)] == [1.0, 0.0]).all()
    assert cells.decode(vector) == point


def test_every_point_is_one_distinct_architecture(cells: SearchSpace) -> None:
    points = list(cells.enumerate())
    keys = {cells.key(p) for p in points}
    archs = {Architecture.from_dict(split_point(p)[0]) for p in points}
    assert len(points) == len(keys) == len(archs) == cells.size()
    # One layer, per op: 1 node; 2 nodes: skip x 2 merges + gat x 2 merges x 2 heads = 6;
    # 3 nodes: the same times 3 inputs of node 3 = 18.
    assert sum(p["num_layers"] == 1 for p in points) == 2 * (1 + 6 + 18)


def test_a_layer_that_gains_nodes_draws_them_from_the_prior(cells: SearchSpace) -> None:
    parent = cells.validate({"num_layers": 1, "cell_nodes": [1], "op": ["gcn"]})
    rng = np.random.default_rng(0)
    children = (cells.mutate(parent, rng, 0.5) for _ in range(300))
    grown = [c for c in children if c["cell_nodes"][0] > 1]  # layer 1 gained nodes
    assert {c["op2"][0] for c in grown} == {"gat", "skip"}
    assert {c["input3"][0] for c in grown if c["cell_nodes"][0] == 3} == {0, 1, 2}


def test_variation_of_shipped_cells_keeps_every_input_existing() -> None:
    space = load_space("cells")
    rng = np.random.default_rng(3)
    population = [space.sample(rng) for _ in range(20)]
    for _ in range(200):
        a, b = (population[i] for i in rng.choice(len(population), 2, replace=False))
        child = space.mutate(space.crossover(a, b, rng), rng, 0.3)
        assert space.validate(child) == child and space.decode(space.encode(child)) == child
        arch = Architecture.from_dict(split_point(child)[0])
        for layer in range(arch.num_layers):
            spec = arch.cell(layer)
            assert len(spec.ops) == arch.cell_nodes[layer]
            assert all(0 <= source < node for node, source in enumerate(spec.inputs, 1))
        population[int(rng.integers(len(population)))] = child
    assert {f"input{k}" for k in NODE_KEYS} <= set(space.names)
