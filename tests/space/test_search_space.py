"""Operations on points: sampling, validation, keys, encoding, variation, enumeration."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace, load_space

# Per-layer ops, a dimension conditional on any layer's op, int and float dims of each kind.
SMALL = {
    "dimensions": {
        "num_layers": {"type": "int", "low": 0, "high": 2},
        "op": {"type": "categorical", "choices": ["gcn", "gat"], "per_layer": "num_layers"},
        "heads": {"type": "categorical", "choices": [1, 4], "when": {"op": "gat"}},
        "residual": {"type": "bool", "when": {"num_layers": [1, 2]}},
        "dim": {"type": "int", "low": 16, "high": 64, "step": 16},
    }
}


@pytest.fixture(scope="module")
def default() -> SearchSpace:
    return load_space("default")


@pytest.fixture(scope="module")
def small() -> SearchSpace:
    return SearchSpace.from_dict(SMALL)


def samples(space: SearchSpace, n: int = 200, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


def brute_force(space: SearchSpace) -> set[str]:
    """Keys of every valid point, by trying every combination of every dimension."""
    domains = []
    for dim in space.dimensions.values():
        values = list(dim.options())
        if dim.per_layer:
            values = [list(v) for n in range(1, 5) for v in itertools.product(values, repeat=n)]
        domains.append([None, *values])  # None: dimension omitted
    keys = set()
    for combo in itertools.product(*domains):
        point = {k: v for k, v in zip(space.names, combo) if v is not None}
        try:
            keys.add(space.key(point))
        except ConfigError:
            pass
    return keys


def test_dimensions_come_after_what_they_depend_on() -> None:
    spec = {"dimensions": {"heads": SMALL["dimensions"]["heads"], **SMALL["dimensions"]}}
    assert SearchSpace.from_dict(spec).names == ("num_layers", "op", "heads", "residual", "dim")


def test_samples_hold_exactly_the_active_dimensions(default: SearchSpace) -> None:
    for point in samples(default):
        assert default.validate(point) == point
        layers = point["num_layers"]
        assert ("op" in point) == (layers > 0) and len(point.get("op", [])) == layers
        assert ("heads" in point) == ("gat" in point.get("op", []))
        assert ("combine" in point) == (layers > 0)
        assert 1e-4 <= point["lr"] <= 1e-2 and isinstance(point["dim"], int)


def test_log_dimensions_sample_log_uniformly(default: SearchSpace) -> None:
    lrs = np.log10([p["lr"] for p in samples(default, 2000)])
    assert abs(np.mean(lrs < -3) - 0.5) < 0.05  # half the draws below the geometric middle


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"num_layers": 1, "op": ["gcn"], "dim": 16}, r"missing active dimension 'residual'"),
        ({"num_layers": 0, "dim": 16, "op": []}, r"dimension 'op' is inactive .*num_layers is 0"),
        (
            {"num_layers": 1, "op": ["gcn"], "heads": 1, "residual": True, "dim": 16},
            r"dimension 'heads' is inactive .*needs op in \['gat'\], got \['gcn'\]",
        ),
        (
            {"num_layers": 2, "op": ["gcn"], "residual": True, "dim": 16},
            r"dimension 'op': \['gcn'\] is not a list of 2 per-layer values",
        ),
        (
            {"num_layers": 1, "op": ["sage"], "residual": True, "dim": 16},
            r"dimension 'op': 'sage' is not one of \['gcn', 'gat'\]",
        ),
        ({"num_layers": 0, "dim": 24}, r"dimension 'dim': 24 is not an integer on the grid"),
        ({"num_layers": 0, "dim": 80}, r"dimension 'dim': 80 is outside \[16, 64\]"),
        (
            {"num_layers": 1, "op": ["gcn"], "residual": 1, "dim": 16},
            r"dimension 'residual': 1 is not one of \[False, True\]",
        ),
        ({"num_layers": 0, "dim": 16, "lr": 0.1}, r"unknown dimension\(s\) \['lr'\]"),
        ("num_layers=0", r"a point must be a mapping"),
    ],
)
def test_validate_names_what_is_wrong(small: SearchSpace, point: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        small.validate(point)


def test_key_is_canonical_and_order_free(small: SearchSpace) -> None:
    a = {"num_layers": 1, "op": ("gat",), "heads": 4, "residual": False, "dim": 32.0}
    b = {"dim": 32, "residual": False, "heads": 4, "op": ["gat"], "num_layers": 1}
    assert small.key(a) == small.key(b)
    assert json.loads(small.key(a)) == b
    assert small.validate(a) == b and isinstance(small.validate(a)["dim"], int)


def test_encode_decode_round_trip(default: SearchSpace) -> None:
    for point in samples(default):
        code = default.encode(point)
        assert code.shape == (default.encoding_size,) and ((0 <= code) & (code <= 1)).all()
        assert default.decode(code) == point


def test_decode_of_any_vector_is_valid_and_stable(default: SearchSpace) -> None:
    rng = np.random.default_rng(1)
    for vector in rng.uniform(-0.5, 1.5, (200, default.encoding_size)):
        point = default.decode(vector)
        assert default.validate(point) == point
        code = default.encode(point)
        assert default.decode(code) == point
        np.testing.assert_array_equal(default.encode(default.decode(code)), code)
    assert default.validate(default.decode(np.full(default.encoding_size, np.nan)))
    with pytest.raises(ValueError, match=f"vector of length {default.encoding_size}"):
        default.decode(np.zeros(3))


def test_int_encoding_gives_each_value_an_equal_share(small: SearchSpace) -> None:
    dim = small.dimensions["dim"]
    values = [dim.decode(np.array([u])) for u in np.linspace(0, 1, 4001)]
    counts = np.unique(values, return_counts=True)[1]
    assert list(np.unique(values)) == [16, 32, 48, 64] and counts.max() - counts.min() <= 2


def test_mutate_redraws_genes_at_the_given_rate(default: SearchSpace) -> None:
    rng = np.random.default_rng(2)
    for point in samples(default, 50):
        assert default.mutate(point, rng, 0.0) == point
        mutant = default.mutate(point, rng, 0.5)
        assert default.validate(mutant) == mutant
    changed = [default.mutate(p, rng, 1.0) != p for p in samples(default, 50)]
    assert np.mean(changed) > 0.9
    with pytest.raises(ValueError, match="mutation rate"):
        default.mutate(point, rng, 1.5)


def test_mutating_the_layer_count_resizes_per_layer_genes(small: SearchSpace) -> None:
    rng = np.random.default_rng(3)
    point = {"num_layers": 2, "op": ["gat", "gcn"], "heads": 4, "residual": True, "dim": 16}
    mutants = [small.mutate(point, rng, 0.3) for _ in range(300)]
    assert all(small.validate(m) == m for m in mutants)
    assert {m["num_layers"] for m in mutants} == {0, 1, 2}
    kept = [m for m in mutants if m["num_layers"] == 1 and m["op"] == ["gat"]]
    assert kept and all(m["heads"] in (1, 4) for m in kept)


def test_crossover_takes_each_gene_from_a_parent(default: SearchSpace) -> None:
    rng = np.random.default_rng(4)
    pool = samples(default, 60)
    for a, b in zip(pool[::2], pool[1::2]):
        child = default.crossover(a, b, rng)
        assert default.validate(child) == child
        for name in ("dim", "loss", "lr", "reg"):
            assert child[name] in (a[name], b[name])
        if "num_negatives" in child:  # conditional on the loss
            assert child["num_negatives"] in (a.get("num_negatives"), b.get("num_negatives"))
    assert default.crossover(pool[0], pool[0], rng) == pool[0]


def test_tiny_enumerates_its_documented_size() -> None:
    tiny = load_space("tiny")
    keys = [tiny.key(p) for p in tiny.enumerate()]
    assert tiny.size() == len(keys) == len(set(keys)) == 220


def test_size_counts_conditional_per_layer_points(small: SearchSpace) -> None:
    # 0 layers: 4 dims; 1 layer: gcn 2x4 + gat 2x2x4; 2 layers: 3 with gat x 2x2x4 + gcn,gcn 2x4
    assert small.size() == len(brute_force(small)) == 4 + 24 + 56
    assert {small.key(p) for p in small.enumerate()} == brute_force(small)


def test_infinite_spaces_have_no_size(default: SearchSpace) -> None:
    assert default.size() is None
    with pytest.raises(ConfigError, match=r"infinite \(continuous dimensions \['lr', 'reg'\]\)"):
        next(default.enumerate())


def test_decisions_cover_every_gene_and_decode_to_valid_points(default: SearchSpace) -> None:
    decisions = default.categorical_dims(bins=8)
    assert [(d.name, d.layer) for d in decisions[:5]] == [
        ("num_layers", None),
        ("op", 0),
        ("op", 1),
        ("op", 2),
        ("op", 3),
    ]
    sizes = {d.name: len(d.choices) for d in decisions}
    assert sizes["num_layers"] == 5 and sizes["op"] == 6 and sizes["lr"] == 8
    rng = np.random.default_rng(5)
    for _ in range(100):
        point = default.from_decisions([int(rng.integers(len(d.choices))) for d in decisions])
        assert default.validate(point) == point
    with pytest.raises(ValueError, match=f"expected {len(decisions)} decisions"):
        default.from_decisions([0])


def test_floats_keep_ten_significant_digits(default: SearchSpace) -> None:
    for point in samples(default, 20):
        assert float(f"{point['lr']:.10g}") == point["lr"]
