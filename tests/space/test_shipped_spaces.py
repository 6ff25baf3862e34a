"""The spaces shipped in conf/search_space load, and their points build runnable configs."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.layers import op_names
from lgnas.space import builtin_spaces, load_space, split_point, training_keys


@pytest.mark.parametrize("name", ["default", "lightgcn_family", "tiny", "cells", "ctr", "ctr_text"])
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


def test_a_space_extends_the_spaces_its_defaults_name_as_hydra_composes_them(tmp_path) -> None:
    (tmp_path / "base.yaml").write_text(
        "name: base\ndimensions:\n  dim: {type: categorical, choices: [8, 16]}\n"
        "  lr: {type: categorical, choices: [0.1]}\n"
    )
    (tmp_path / "wide.yaml").write_text(
        "defaults: [base]\nname: wide\ndimensions:\n"
        "  dim: {type: categorical, choices: [32, 64, 128]}\n"
        "  reg: {type: categorical, choices: [0.0]}\n"
    )
    wide = load_space(tmp_path / "wide.yaml")
    assert wide.name == "wide" and wide.names == ("dim", "lr", "reg")
    assert wide.size() == 3  # its own dim replaced the base's
    (tmp_path / "under.yaml").write_text(
        "defaults: [_self_, base]\ndimensions:\n  dim: {type: categorical, choices: [4]}\n"
    )
    assert load_space(tmp_path / "under.yaml").size() == 2  # the base's dim, listed after
    (tmp_path / "loop.yaml").write_text("defaults: [loop]\ndimensions: {}\n")
    with pytest.raises(ConfigError, match="loop.yaml: search space defaults loop back"):
        load_space(tmp_path / "loop.yaml")
    (tmp_path / "lost.yaml").write_text("defaults: [nowhere]\n")
    with pytest.raises(ConfigError, match="not found: .*nowhere.yaml"):
        load_space(tmp_path / "lost.yaml")


def test_load_space_reads_a_path(tmp_path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("dimensions:\n  dim: {type: categorical, choices: [8, 16]}\n")
    space = load_space(path)
    assert space.name == "mine" and space.size() == 2


# sha256 of the keys below, as lgnas computed them before cells (commit 003b166).
KEYS_BEFORE_CELLS = {
    "default": "30d8042d88bf3993",
    "lightgcn_family": "128033a263797a39",
    "text": "5330d6d8912fab09",
    "tiny": "4354382bc944ee6a",
}


@pytest.mark.parametrize("name", sorted(KEYS_BEFORE_CELLS))
def test_shipped_space_points_and_keys_are_unchanged(name: str) -> None:
    """The same seed samples, mutates, crosses and decodes to the same keys as before
    layer-by-layer conditions existed, so journals and priors of these spaces still match."""
    space = load_space(name)
    rng = np.random.default_rng(0)
    points = [space.sample(rng) for _ in range(40)]
    keys = []
    for a, b in zip(points, points[1:]):
        keys += [
            space.key(a),
            space.key(space.mutate(a, rng, 0.3)),
            space.key(space.crossover(a, b, rng)),
            space.key(space.decode(rng.random(space.encoding_size))),
        ]
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]
    assert digest == KEYS_BEFORE_CELLS[name]
