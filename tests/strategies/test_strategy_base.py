"""The books the base class keeps for every strategy, and the built-ins' own behaviour."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.search.trial import Candidate, Point, TrialResult
from lgnas.space import SearchSpace, load_space
from lgnas.strategies import SearchStrategy, make_strategy
from lgnas.strategies.genetic import GeneticSearch
from lgnas.testing import StrategyConformance, run, synthetic_objective


class OneAtATime(SearchStrategy):
    """Samples; declares it cannot handle batches."""

    supports_batch = False

    def __init__(self, space: SearchSpace, seed: int = 0, bad: bool = False) -> None:
        super().__init__(space, seed)
        self.bad = bad
        self.told: list[TrialResult] = []

    def _ask(self, candidate_id: int) -> Point:
        return {"nonsense": 1} if self.bad else self.space.sample(self._rng)

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        self.told.append(result)


@pytest.fixture(scope="module")
def tiny() -> SearchSpace:
    return load_space("tiny")


def test_ask_validates_n_and_batch_capability(tiny: SearchSpace) -> None:
    strategy = OneAtATime(tiny)
    with pytest.raises(ValueError, match="positive integer"):
        strategy.ask(0)
    with pytest.raises(ValueError, match="does not support batches"):
        strategy.ask(2)
    (first,) = strategy.ask()
    with pytest.raises(ValueError, match="tell the pending candidate"):
        strategy.ask()
    strategy.tell(first, TrialResult(0.5))
    assert strategy.ask()[0].id == 1


def test_invalid_proposal_is_a_strategy_bug(tiny: SearchSpace) -> None:
    with pytest.raises(RuntimeError, match=r"OneAtATime proposed an invalid point: .*'nonsense'"):
        OneAtATime(tiny, bad=True).ask()


def test_non_finite_objective_is_told_as_a_failure(tiny: SearchSpace) -> None:
    strategy = OneAtATime(tiny)
    for objective in (math.nan, math.inf):
        strategy.tell(strategy.ask()[0], TrialResult(objective))
    assert strategy.recommend() is None
    assert [r.ok for r in strategy.told] == [False, False]
    assert strategy.told[0].error == "objective is nan"


def test_tell_checks_the_candidate_and_result(tiny: SearchSpace) -> None:
    strategy = OneAtATime(tiny)
    (candidate,) = strategy.ask()
    with pytest.raises(TypeError, match="needs a TrialResult"):
        strategy.tell(candidate, 0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="point differs"):
        strategy.tell(Candidate(candidate.id, {"num_layers": 0}), TrialResult(0.5))


def test_state_of_another_strategy_is_refused(tiny: SearchSpace) -> None:
    state = make_strategy("random", tiny).state_dict()
    with pytest.raises(ValueError, match="state of 'RandomSearch' .* cannot be loaded into Gen"):
        make_strategy("genetic", tiny).load_state_dict(state)


def test_required_plugin_parameters_are_named(tiny: SearchSpace) -> None:
    class Needy(OneAtATime):
        def __init__(self, space: SearchSpace, seed: int = 0, *, width: int) -> None:
            super().__init__(space, seed)

    ep = SimpleNamespace(name="needy", value="plugin:Needy", load=lambda: Needy)
    with pytest.raises(ConfigError, match=r"strategy 'needy' needs parameter\(s\) \['width'\]"):
        make_strategy("needy", tiny, entry_points=[ep])


def test_random_search_exhausts_a_finite_space_before_repeating(tiny: SearchSpace) -> None:
    strategy = make_strategy("random", tiny, seed=0)
    keys = [tiny.key(c.point) for c in run(strategy, lambda p: 0.0, 230, batch=10)]
    assert len(set(keys[:220])) == 220 and set(keys[220:]) <= set(keys[:220])


def test_genetic_starts_random_and_never_repeats(tiny: SearchSpace) -> None:
    strategy = make_strategy("genetic", tiny, seed=1, population_size=6, ageing=True)
    told = run(strategy, synthetic_objective(tiny), 120, batch=4)
    assert len({tiny.key(c.point) for c in told}) == 120
    assert len(strategy._population) == 6


def test_genetic_evicts_failures_first_and_keeps_elites_under_ageing(tiny: SearchSpace) -> None:
    def fill(strategy: GeneticSearch, objectives: list[float | None]) -> list[float | None]:
        for objective in objectives:
            (c,) = strategy.ask()
            strategy.tell(
                c, TrialResult(objective) if objective is not None else TrialResult.failure("boom")
            )
        return [member[1] for member in strategy._population]

    worst_out = make_strategy("genetic", tiny, population_size=3, tournament_size=2)
    assert fill(worst_out, [5.0, None, 1.0, 2.0]) == [5.0, 1.0, 2.0]
    oldest_out = make_strategy(
        "genetic", tiny, population_size=3, tournament_size=2, ageing=True, elitism=1
    )
    assert fill(oldest_out, [5.0, 3.0, 1.0, 2.0, 0.0]) == [5.0, 2.0, 0.0]


def test_pso_batches_beyond_the_swarm_are_fresh_random_points(tiny: SearchSpace) -> None:
    strategy = make_strategy("pso", tiny, seed=0, swarm_size=3)
    batch = strategy.ask(8)
    assert len({tiny.key(c.point) for c in batch}) == 8
    for candidate in batch:
        strategy.tell(candidate, TrialResult(float(candidate.id)))
    assert strategy.recommend() == batch[-1]


def test_rl_controller_learns_a_preference(tiny: SearchSpace) -> None:
    """Rewarding one op only, the controller comes to prefer it."""
    strategy = make_strategy("rl", tiny, seed=0, batch_size=5, lr=0.05, temperature=1.0)

    def objective(point: Point) -> float:
        return float(point.get("op") == "ngcf")

    told = run(strategy, objective, 150, batch=5)
    late = [c.point["op"] == "ngcf" for c in told[-40:] if "op" in c.point]
    assert np.mean(late) > 0.6  # a uniform policy picks ngcf a third of the time


class Fixated(SearchStrategy):
    """Proposes the same point forever: the improvement test must catch it."""

    def _ask(self, candidate_id: int) -> Point:
        return self.space.sample(np.random.default_rng(0))

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        pass


def test_conformance_suite_catches_a_strategy_that_never_improves() -> None:
    suite = StrategyConformance()
    with pytest.raises(AssertionError, match="reached the target for seeds"):
        suite.test_improves_on_synthetic_objective(lambda space, seed: Fixated(space, seed))
