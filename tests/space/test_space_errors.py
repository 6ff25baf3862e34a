"""A bad space fails when it loads, with a message naming the dimension and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lgnas.errors import ConfigError
from lgnas.models.layers import op_names
from lgnas.space import SearchSpace, load_space

LAYERS = {"type": "int", "low": 0, "high": 2}


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [
        (
            {"lr": {"type": "float", "low": 0.1, "hi": 1.0}},
            r"dimension 'lr': unknown key\(s\) \['hi'\]; a float dimension takes",
        ),
        (
            {"lr": {"type": "real", "low": 0.1, "high": 1.0}},
            r"dimension 'lr': unknown type 'real'; choose one of \['bool', 'categorical'",
        ),
        ({"lr": [1, 2]}, r"dimension 'lr': expected a mapping with a 'type' key"),
        (
            {"dim": {"type": "categorical", "choices": []}},
            r"dimension 'dim': key 'choices' must be a non-empty list",
        ),
        (
            {"dim": {"type": "categorical", "choices": [32, 32]}},
            r"dimension 'dim': key 'choices' lists 32 twice",
        ),
        (
            {"dim": {"type": "categorical", "choices": [[32]]}},
            r"dimension 'dim': key 'choices': \[32\] is not a scalar",
        ),
        (
            {"lr": {"type": "float", "low": 0.1, "high": 0.1}},
            r"dimension 'lr': key 'low' \(0.1\) must be below 'high' \(0.1\)",
        ),
        (
            {"lr": {"type": "float", "low": 0.0, "high": 0.1, "log": True}},
            r"dimension 'lr': key 'log' needs 'low' > 0, got low=0.0",
        ),
        (
            {"lr": {"type": "float", "low": "a", "high": 0.1}},
            r"dimension 'lr': key 'low' must be a number, got 'a'",
        ),
        (
            {"num_layers": {"type": "int", "low": 0.5, "high": 3}},
            r"dimension 'num_layers': key 'low' must be an integer",
        ),
        (
            {"num_layers": {"type": "int", "low": 0, "high": 3, "step": 2}},
            r"dimension 'num_layers': key 'step' \(2\) must divide high - low \(3\)",
        ),
        (
            {"num_layers": {"type": "int", "low": 1, "high": 3, "step": 2, "log": True}},
            r"dimension 'num_layers': keys 'step' and 'log' cannot be combined",
        ),
        (
            {"heads": {"type": "categorical", "choices": [1, 2], "when": {"op": "gat"}}},
            r"dimension 'heads': key 'when' refers to unknown dimension 'op'",
        ),
        (
            {"op": {"type": "categorical", "choices": ["gcn"], "per_layer": "layers"}},
            r"dimension 'op': key 'per_layer' refers to unknown dimension 'layers'",
        ),
        (
            {
                "dim": {"type": "categorical", "choices": [32], "when": {"heads": 1}},
                "heads": {"type": "categorical", "choices": [1, 2], "when": {"dim": 32}},
            },
            r"depend on each other in a cycle: dim -> heads -> dim",
        ),
        (
            {"dim": {"type": "categorical", "choices": [32], "when": {"dim": 32}}},
            r"cycle: dim -> dim",
        ),
        (
            {
                "num_layers": LAYERS,
                "heads": {"type": "categorical", "choices": [1], "when": {"num_layers": 7}},
            },
            r"dimension 'heads': when \{num_layers: 7\} can never hold: 7 is outside \[0, 2\]",
        ),
        (
            {
                "dim": {"type": "categorical", "choices": [32]},
                "op": {"type": "categorical", "choices": ["gcn"], "per_layer": "dim"},
            },
            r"dimension 'op': per_layer must name a non-negative int dimension",
        ),
        (
            {"width": {"type": "int", "low": 1, "high": 4}},
            r"dimension 'width': no part of lgnas reads this key; valid dimension names are",
        ),
        (
            {
                "num_layers": LAYERS,
                "dim": {"type": "categorical", "choices": [32], "per_layer": "num_layers"},
            },
            r"dimension 'dim': the architecture takes one value for it, so it cannot be per_layer",
        ),
        (
            {"op": {"type": "categorical", "choices": ["gcn", "transformer"]}},
            r"dimension 'op': architecture key 'op': unknown value 'transformer'",
        ),
        (
            {"num_layers": {"type": "int", "low": 0, "high": 9}},
            r"dimension 'num_layers': architecture key 'num_layers': 9 is not an integer in 0..4",
        ),
        (
            {"loss": {"type": "categorical", "choices": ["bpr", "hinge"]}},
            r"dimension 'loss': unknown loss 'hinge'",
        ),
        (
            {"lr": {"type": "float", "low": -1.0, "high": 0.1}},
            r"dimension 'lr': optim.lr=-1.0 must be a number > 0",
        ),
        (
            {"batch_size": {"type": "categorical", "choices": [256, 0.5]}},
            r"dimension 'batch_size': optim.batch_size=0.5 must be an integer >= 1",
        ),
    ],
)
def test_bad_dimension_is_refused_by_name(dimensions: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SearchSpace.from_dict({"dimensions": dimensions})


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"dims": {}}, r"unknown key\(s\) \['dims'\]; expected 'dimensions'"),
        ({"dimensions": {}}, r"'dimensions' must be a non-empty mapping"),
        ([1, 2], r"a search space must be a mapping, got list"),
    ],
)
def test_bad_space_layout_is_refused(mapping: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SearchSpace.from_dict(mapping)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("dimensions:\n  lr: {type: float, low: 1, high: 0}\n")
    with pytest.raises(ConfigError, match=rf"{bad}: search space dimension 'lr': key 'low'"):
        SearchSpace.from_yaml(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("dimensions: {lr: [\n")
    with pytest.raises(ConfigError, match=rf"{broken}: cannot read search space"):
        SearchSpace.from_yaml(broken)
    with pytest.raises(ConfigError, match="search space file not found"):
        SearchSpace.from_yaml(tmp_path / "missing.yaml")


def test_unknown_builtin_space_lists_the_shipped_ones() -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown search space 'huge'; choose one of \["
        r"'cells', 'ctr', 'ctr_text', 'default', 'lightgcn_family', 'ranking', 'text', 'tiny'\]",
    ):
        load_space("huge")


def test_a_space_naming_an_unregistered_op_lists_the_registered_ones(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "dimensions:\n"
        "  num_layers: {type: int, low: 1, high: 2}\n"
        "  op: {type: categorical, choices: [lightgcn, gcnii], per_layer: num_layers}\n"
    )
    with pytest.raises(ConfigError) as error:
        load_space(path)
    message = str(error.value)
    assert f"{path}: search space dimension 'op': architecture key 'op'" in message
    assert f"unknown value 'gcnii'; choose one of {list(op_names())}" in message
    assert "python -m lgnas.models" in message
