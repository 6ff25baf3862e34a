"""The genetic search grafts its prior's recipes onto random graphs (``strategy.graft``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lgnas.space import SearchSpace
from lgnas.strategies.genetic import GeneticSearch
from lgnas.trials import TrialResult

DEFAULT = SearchSpace.from_yaml(
    Path(__file__).parents[2] / "conf" / "search_space" / "default.yaml"
)
MF = {  # a shipped prior's kind of best point: matrix factorisation with a sampled softmax
    "num_layers": 0,
    "dim": 128,
    "loss": "softmax",
    "score": "cosine",
    "temperature": 0.2,
    "lr": 0.003,
    "reg": 1e-5,
    "num_negatives": 16,
}
RECIPE = {k: v for k, v in MF.items() if k != "num_layers"}


def test_the_graph_dimensions_are_the_layer_count_and_what_depends_on_it() -> None:
    graph = DEFAULT.graph_dimensions()
    assert {"num_layers", "op", "activation", "heads", "combine", "residual"} <= graph
    assert not graph & set(RECIPE)  # loss, dim, score, temperature, lr, reg, negatives


def test_a_random_graph_keeps_the_recipe_and_has_layers() -> None:
    rng = np.random.default_rng(0)
    grafts = [DEFAULT.with_random_graph(MF, rng) for _ in range(30)]
    for point in grafts:
        assert point is not None and point["num_layers"] >= 1
        assert {k: point[k] for k in RECIPE} == RECIPE
        assert DEFAULT.validate(point) == point
    assert len({DEFAULT.key(p) for p in grafts}) == 30  # the graphs are drawn, not fixed
    assert len({p["num_layers"] for p in grafts}) > 1


def test_a_space_without_layers_has_no_graft() -> None:
    flat = SearchSpace.from_dict(
        {"dimensions": {"dim": {"type": "categorical", "choices": [8, 16]}}}
    )
    assert flat.graph_dimensions() == frozenset()
    assert flat.with_random_graph({"dim": 8}, np.random.default_rng(0)) is None


def _first_population(graft: bool, prior: list[dict]) -> list[dict]:
    strategy = GeneticSearch(DEFAULT, seed=3, population_size=6, graft=graft)
    strategy.enqueue(prior)
    points = []
    for _ in range(6):
        (candidate,) = strategy.ask()
        strategy.tell(candidate, TrialResult(objective=0.1))
        points.append(candidate.point)
    return points


def test_the_first_population_after_the_prior_points_is_grafts() -> None:
    other = {**MF, "dim": 32, "loss": "bpr", "num_negatives": 4}
    points = _first_population(True, [MF, other])
    assert points[:2] == [DEFAULT.validate(MF), DEFAULT.validate(other)]
    recipes = [MF, other]
    for index, point in enumerate(points[2:], 2):  # the prior points' recipes in turn
        assert point["num_layers"] >= 1
        assert {k: point[k] for k in RECIPE} == {k: recipes[index % 2][k] for k in RECIPE}


def test_without_graft_or_prior_the_first_population_is_random() -> None:
    plain = _first_population(False, [MF])[1:]
    assert any(p["loss"] != "softmax" or p["dim"] != 128 for p in plain)
    assert _first_population(True, [])[0] == _first_population(False, [])[0]


def test_the_grafts_replay_from_the_strategy_state() -> None:
    strategy = GeneticSearch(DEFAULT, seed=1, population_size=5, graft=True)
    strategy.enqueue([MF])
    (first,) = strategy.ask()
    strategy.tell(first, TrialResult(objective=0.2))
    restored = GeneticSearch(DEFAULT, seed=1, population_size=5, graft=True)
    restored.load_state_dict(strategy.state_dict())
    assert restored.ask()[0].point == strategy.ask()[0].point


def test_grafts_are_off_by_default() -> None:
    strategy = GeneticSearch(DEFAULT, seed=3, population_size=6)
    strategy.enqueue([MF])
    strategy.tell(strategy.ask()[0], TrialResult(objective=0.1))
    assert [strategy.ask()[0].point] == _first_population(False, [MF])[1:2]


def test_graft_must_be_a_boolean() -> None:
    with pytest.raises(Exception, match="graft must be true or false"):
        GeneticSearch(DEFAULT, graft="yes")  # type: ignore[arg-type]
