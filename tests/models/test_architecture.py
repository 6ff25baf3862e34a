from __future__ import annotations

import pytest

from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture, preset, propagated


def test_round_trip_through_plain_mapping() -> None:
    arch = Architecture(num_layers=2, op=["gcn", "sage"], transform="linear", combine="concat")
    assert arch.op == ("gcn", "sage")
    assert arch.transform == ("linear", "linear")
    assert Architecture.from_dict(arch.to_dict()) == arch


def test_the_default_edges_are_left_out_of_the_mapping() -> None:
    # Recipes saved before the key existed read back equal (so their results are reused).
    assert "edges" not in preset("lightgcn").to_dict()
    arch = preset("lightgcn", edges="impressions")
    assert arch.to_dict()["edges"] == "impressions"
    assert Architecture.from_dict(arch.to_dict()) == arch != preset("lightgcn")


def test_zero_layers_is_matrix_factorisation() -> None:
    assert preset("mf").op == ()


def test_presets_follow_the_papers() -> None:
    lightgcn = preset("lightgcn")
    assert (lightgcn.num_layers, lightgcn.combine, lightgcn.norm) == (3, "mean", "symmetric")
    assert set(lightgcn.transform) == {"none"} and set(lightgcn.activation) == {"identity"}
    ngcf = preset("ngcf", num_layers=2)
    assert ngcf.op == ("ngcf", "ngcf") and ngcf.combine == "concat" and ngcf.layer_l2norm


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"op": "transformer"}, "'transformer'"),
        ({"num_layers": 7}, "num_layers"),
        ({"combine": "max"}, "'max'"),
        ({"num_layers": 2, "op": ["gcn"]}, "1 values for 2 layers"),
        ({"dropout": 1.5}, "dropout"),
        ({"edges": "views"}, "'edges': unknown value 'views'"),
        ({"layers": 3}, "unknown architecture key(s) ['layers']"),
    ],
)
def test_bad_values_get_a_clear_error(values: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as error:
        Architecture.from_dict(values)
    assert fragment in str(error.value)


def test_unknown_preset_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown model preset 'ngcf2'.*lightgcn"):
        preset("ngcf2")


def test_propagated_keeps_the_embeddings_and_score_under_lightgcn_layers() -> None:
    mf = Architecture.from_dict({"num_layers": 0, "dim": 128, "score": "cosine"})
    graph = propagated(mf, 2)
    assert graph == preset("lightgcn", num_layers=2, dim=128, score="cosine")
    # Whatever message passing the model had is LightGCN's after.
    ngcf = preset("ngcf", num_layers=3, dim=32, item_content="meta", fusion="gate")
    assert propagated(ngcf, 1) == preset(
        "lightgcn", num_layers=1, dim=32, item_content="meta", fusion="gate"
    )
