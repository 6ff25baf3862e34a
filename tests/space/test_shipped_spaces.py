"""The spaces shipped in conf/search_space load, and their points build runnable configs."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.layers import op_names
from lgnas.space import builtin_spaces, load_space, split_point, training_keys


@pytest.mark.parametrize("name", ["default", "lightgcn_family", "tiny"])
def test_shipped_space_points_build_architectures(name: str) -> None:
    space = load_space(name)
    assert space.name == name and name in builtin_spaces()
    rng = np.random.default_rng(0)
    for _ in range(100):
        arch, optim = split_point(space.sample(rng))
        Architecture.from_dict(arch)
        assert set(optim) <= set(training_keys())


def test_default_space_searches_every_registered_op() -> None:
    op = load_space("default").dimensions["op"]
    assert tuple(op.choices) == op_names(), (
        "conf/search_space/default.yaml searches the whole design space: list every op of "
        "lgnas.models.layers (python -m lgnas.models) in its op choices"
    )


def test_lightgcn_family_only_propagates() -> None:
    space = load_space("lightgcn_family")
    rng = np.random.default_rng(1)
    points = [space.sample(rng) for _ in range(100)]
    assert {p.get("op", "lightgcn") for p in points} == {"lightgcn"}
    assert {"transform", "activation"}.isdisjoint(space.names)


def test_split_point_sends_each_key_to_its_consumer() -> None:
    point = {"num_layers": 2, "op": ("gcn", "sage"), "dim": 32, "lr": 1e-3, "loss": "bce"}
    arch, optim = split_point(point)
    assert arch == {"num_layers": 2, "op": ["gcn", "sage"], "dim": 32}
    assert optim == {"lr": 1e-3, "loss": "bce"}
    with pytest.raises(ConfigError, match=r"point key\(s\) \['width'\] are read neither"):
        split_point({"width": 3})


def test_load_space_reads_a_path(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("dimensions:\n  dim: {type: categorical, choices: [8, 16]}\n")
    space = load_space(path)
    assert space.name == "mine" and space.size() == 2
