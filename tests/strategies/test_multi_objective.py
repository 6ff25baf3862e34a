"""Pareto-front mode: NSGA-II genetic, and the scalarising wrapper for every other strategy."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace, load_space
from lgnas.strategies import SearchStrategy, available, load_strategy, make_strategy
from lgnas.strategies.genetic import GeneticSearch
from lgnas.strategies.scalarised import RHO, ScalarisedStrategy, build_strategy
from lgnas.testing import StrategyConformance, run, synthetic_objective
from lgnas.testing.strategy_suite import synthetic_parameters
from lgnas.trials import Candidate, Point, TrialResult, parse_objectives

OBJECTIVES = ["score", "-parameters"]  # the suite's results carry cost["parameters"]


class TestNSGAIIGenetic(StrategyConformance):
    strategy_name = "genetic"

    @pytest.fixture
    def make(self):  # type: ignore[override]
        return self.factory("genetic", objectives=OBJECTIVES)


class TestScalarisedStrategies(StrategyConformance):
    @pytest.fixture(params=["random", "pso", "rl"])
    def make(self, request: pytest.FixtureRequest):  # type: ignore[override]
        inner = self.factory(request.param)
        return lambda space, seed: ScalarisedStrategy(inner(space, seed), OBJECTIVES)


def _tell(strategy: SearchStrategy, quality: float, parameters: int) -> Candidate:
    (candidate,) = strategy.ask()
    strategy.tell(candidate, TrialResult(quality, cost={"parameters": parameters}))
    return candidate


@pytest.mark.parametrize(
    ("objectives", "evicted"),
    [
        (None, 0.20),  # single objective: the worst quality goes
        (OBJECTIVES, 0.22),  # NSGA-II: all four are on the front; the most crowded goes
    ],
)
def test_eviction_removes_the_dominated_then_the_most_crowded(objectives, evicted) -> None:
    genetic = GeneticSearch(load_space("tiny"), population_size=3, elitism=0, objectives=objectives)
    for quality, parameters in [(0.3, 1000), (0.2, 100), (0.25, 400), (0.1, 2000)]:
        _tell(genetic, quality, parameters)
    population = genetic.state_dict()["internal"]["population"]
    assert sorted(m[1] for m in population) == [0.2, 0.25, 0.3]  # (0.1, 2000) was dominated
    # On a log cost scale (0.22, 300) sits closer to its neighbours than (0.25, 400) does.
    _tell(genetic, 0.22, 300)
    kept = sorted(m[1] for m in genetic.state_dict()["internal"]["population"])
    assert kept == sorted({0.2, 0.22, 0.25, 0.3} - {evicted})


def test_nsga2_keeps_cheap_models_that_single_objective_search_drops() -> None:
    """Against the suite's synthetic size, NSGA-II's population spans far more sizes."""
    space = load_space("default")
    spans = {}
    for objectives in (None, OBJECTIVES):
        genetic = GeneticSearch(space, seed=0, objectives=objectives)
        run(genetic, synthetic_objective(space), 80, batch=4)
        population = genetic.state_dict()["internal"]["population"]
        sizes = [synthetic_parameters(space, m[0]) for m in population]
        spans[objectives is None] = max(sizes) / min(sizes)
    assert spans[False] > spans[True]


class Recorder(SearchStrategy):
    """Samples and remembers what it was told."""

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        super().__init__(space, seed)
        self.told: list[TrialResult] = []

    def _ask(self, candidate_id: int) -> Point:
        return self._sample_unseen()

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        self.told.append(result)


def test_the_inner_strategy_is_told_the_chebyshev_value_of_normalised_gaps() -> None:
    inner = Recorder(load_space("tiny"), seed=3)
    wrapped = ScalarisedStrategy(inner, ["ndcg@20", "-parameters"])
    _tell(wrapped, 0.3, 1000)  # the first result is its own ideal: gap 0 everywhere
    _tell(wrapped, 0.1, 100)  # quality gap 1 (worst told), size gap 0 (smallest told)
    _tell(wrapped, 0.2, 10_000)  # half way in quality, worst in size
    w1, w2 = wrapped.weights(1), wrapped.weights(2)
    assert [r.objective for r in inner.told] == pytest.approx(
        [0.0, -(1 + RHO) * w1[0], -(max(0.5 * w2[0], w2[1]) + RHO * (0.5 * w2[0] + w2[1]))]
    )
    assert wrapped.recommend().id == 0  # the best quality, as the leaderboard sees it


def test_weights_are_seeded_by_candidate_and_a_result_without_a_cost_is_a_failure() -> None:
    inner = Recorder(load_space("tiny"), seed=3)
    wrapped = ScalarisedStrategy(inner, ["ndcg@20", "-parameters", "-latency"])
    assert wrapped.weights(4) == pytest.approx(wrapped.weights(4))
    assert wrapped.weights(4) != pytest.approx(wrapped.weights(5))
    assert sum(wrapped.weights(4)) == pytest.approx(1.0) and min(wrapped.weights(4)) > 0
    _tell(wrapped, 0.3, 1000)  # no latency recorded
    assert not inner.told[0].ok and "-latency" in inner.told[0].error


def test_build_strategy_uses_nsga2_for_genetic_and_scalarises_the_others() -> None:
    space = load_space("tiny")
    two = parse_objectives(["ndcg@20", "-parameters"])
    genetic = build_strategy("genetic", space, 0, {"objectives": None}, two)
    assert isinstance(genetic, GeneticSearch) and genetic.objectives == ["ndcg@20", "-parameters"]
    assert isinstance(build_strategy("pso", space, 0, {}, two), ScalarisedStrategy)
    single = build_strategy("random", space, 0, {}, two[:1])
    assert type(single) is type(make_strategy("random", space))
    with pytest.raises(ConfigError, match="set search.objectives="):
        build_strategy("genetic", space, 0, {"objectives": ["ndcg@20", "-latency"]}, two)


class OwnObjectives(Recorder):
    """Like optuna_nsga2: an ``objectives`` option of its own, no multi-objective flag."""

    def __init__(
        self, space: SearchSpace, seed: int = 0, objectives: tuple[str, ...] = ("objective",)
    ) -> None:
        super().__init__(space, seed)
        self.objectives = objectives


class Pareto(Recorder):
    supports_multi_objective = True

    def __init__(self, space: SearchSpace, seed: int = 0, objectives: list[str] | None = None):
        super().__init__(space, seed)
        self.objectives = objectives


class ClaimsParetoWithoutObjectives(Recorder):
    supports_multi_objective = True


class ClaimsParetoWithADefault(Pareto):
    def __init__(self, space: SearchSpace, seed: int = 0, objectives: str = "ndcg@20"):
        super().__init__(space, seed, [objectives])


def _entry_points(**classes: type[SearchStrategy]) -> list[SimpleNamespace]:
    return [
        SimpleNamespace(name=name, value=f"plugin:{cls.__name__}", load=lambda cls=cls: cls)
        for name, cls in classes.items()
    ]


def test_only_genetic_of_the_built_ins_declares_multi_objective_support() -> None:
    flags = {name: load_strategy(name).supports_multi_objective for name in available()}
    assert flags["genetic"] and not any(flags[n] for n in ("random", "pso", "rl"))
    assert SearchStrategy.supports_multi_objective is False


def test_the_flag_not_a_parameter_name_decides_who_gets_the_objectives() -> None:
    space, two = load_space("tiny"), parse_objectives(["ndcg@20", "-parameters"])
    eps = _entry_points(own=OwnObjectives, pareto=Pareto)
    own = build_strategy("own", space, 0, {"objectives": ["metrics.recall"]}, two, eps)
    assert isinstance(own, ScalarisedStrategy) and own.objectives == ["ndcg@20", "-parameters"]
    assert own.inner.objectives == ["metrics.recall"]  # its own option, passed through
    alone = build_strategy("own", space, 0, {"objectives": ("objective",)}, two[:1], eps)
    assert type(alone) is OwnObjectives
    pareto = build_strategy("pareto", space, 0, {"objectives": None}, two, eps)
    assert type(pareto) is Pareto and pareto.objectives == ["ndcg@20", "-parameters"]
    assert build_strategy("pareto", space, 0, {}, two[:1], eps).objectives is None
    with pytest.raises(ConfigError, match="set search.objectives="):
        build_strategy("pareto", space, 0, {"objectives": ["ndcg@20"]}, two, eps)


@pytest.mark.parametrize(
    ("cls", "problem"),
    [
        (ClaimsParetoWithoutObjectives, "has no `objectives` parameter"),
        (ClaimsParetoWithADefault, "must default to None"),
    ],
)
def test_declaring_the_flag_without_an_objectives_parameter_is_refused(cls, problem) -> None:
    space, two = load_space("tiny"), parse_objectives(["ndcg@20", "-parameters"])
    eps = _entry_points(claims=cls)
    for objectives in (two, two[:1]):
        with pytest.raises(ConfigError, match=rf"strategy 'claims' from .*{cls.__name__}.*"):
            build_strategy("claims", space, 0, {}, objectives, eps)
    with pytest.raises(ConfigError, match=re.escape(problem)):
        make_strategy("claims", space, entry_points=eps)
