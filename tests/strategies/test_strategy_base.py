"""The books the base class keeps for every strategy, and the built-ins' own behaviour."""

from __future__ import annotations

import math
import random
import re
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace, load_space
from lgnas.strategies import SearchStrategy, make_strategy
from lgnas.strategies.base import reserved_name_problems
from lgnas.strategies.genetic import GeneticSearch
from lgnas.testing import StrategyConformance, run, synthetic_objective
from lgnas.trials import Candidate, Point, TrialResult


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


class KeepsItsOwnBest(SearchStrategy):
    """Uses ``_best``, ``_seen`` and ``_pending`` for its own books, as plugins may."""

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        super().__init__(space, seed)
        self._best: list[float] = []  # every objective told, best first
        self._seen = "not a set"
        self._pending = 0

    def _ask(self, candidate_id: int) -> Point:
        self._pending += 1
        return self._sample_unseen()

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        self._pending -= 1
        if result.ok:
            self._best = sorted([*self._best, result.objective], reverse=True)

    def _state(self) -> dict[str, Any]:
        return {"best": self._best, "pending": self._pending}

    def _load_state(self, state: dict[str, Any]) -> None:
        self._best, self._pending = state["best"], state["pending"]


def test_a_subclass_attribute_named_best_leaves_the_base_books_alone(tiny: SearchSpace) -> None:
    strategy = KeepsItsOwnBest(tiny, seed=2)
    objective = synthetic_objective(tiny)
    told = run(strategy, objective, 12, batch=3)
    assert strategy.recommend() == max(told, key=lambda c: objective(c.point))
    assert strategy._best == sorted((objective(c.point) for c in told), reverse=True)
    assert strategy._seen == "not a set" and strategy._pending == 0
    state = strategy.state_dict()
    assert state["best"][0] == strategy.recommend().id and len(state["seen"]) == 12
    assert reserved_name_problems(strategy) == []


def test_the_state_dict_format_is_unchanged(tiny: SearchSpace) -> None:
    strategy = make_strategy("random", tiny, seed=0)
    (first, second) = strategy.ask(2)
    strategy.tell(first, TrialResult(0.5))
    state = strategy.state_dict()
    assert list(state) == [
        "strategy", "format", "next_id", "rng", "pending", "seen", "best", "internal"
    ]  # fmt: skip
    assert state["next_id"] == 2 and state["pending"] == [[1, second.point]]
    assert state["seen"] == sorted(tiny.key(c.point) for c in (first, second))
    assert state["best"] == [0, first.point, 0.5] and state["format"] == 1
    assert vars(strategy).keys() >= {  # the books, name-mangled
        "_SearchStrategy__next_id",
        "_SearchStrategy__pending",
        "_SearchStrategy__seen",
        "_SearchStrategy__best",
    }


class _Sampler(SearchStrategy):
    def _ask(self, candidate_id: int) -> Point:
        return self._sample_unseen()

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        pass


class LabelsItsSeed(_Sampler):
    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        super().__init__(space, seed)
        self.seed = f"run-{seed}"  # its own meaning of seed: a label


class OwnGenerator(_Sampler):
    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        super().__init__(space, seed)
        self._rng = random.Random(seed)  # Python's generator under the base's name

    def _ask(self, candidate_id: int) -> Point:
        return self.space.sample(np.random.default_rng(candidate_id))


class PendingList(_Sampler):
    pending: ClassVar[list[int]] = []  # its own queue, hiding the base's property


class AssignsRecommend(_Sampler):
    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        super().__init__(space, seed)
        self.recommend = [1, 2]  # type: ignore[method-assign]


class BadFlag(_Sampler):
    supports_batch = "yes"  # type: ignore[assignment]


def _named_like_the_base() -> type[SearchStrategy]:
    class SearchStrategy(_Sampler):  # mangles ``self.__best`` onto the base's book
        def __init__(self, space: SearchSpace, seed: int = 0) -> None:
            super().__init__(space, seed)
            self.__best: list[float] = []

    return SearchStrategy


@pytest.mark.parametrize(
    ("cls", "named"),
    [
        (LabelsItsSeed, "LabelsItsSeed.seed was set to 'run-"),
        (OwnGenerator, "OwnGenerator._rng was set to <random.Random"),
        (PendingList, "PendingList.pending is a list, where the base's pending is a property"),
        (AssignsRecommend, "AssignsRecommend.recommend was assigned"),
        (BadFlag, "BadFlag.supports_batch = 'yes' must be a bool"),
        (_named_like_the_base(), "is named like the base class"),
    ],
)
def test_the_suite_catches_a_strategy_reusing_the_base_names(
    tiny: SearchSpace, cls: type[SearchStrategy], named: str
) -> None:
    suite = StrategyConformance()
    with pytest.raises(AssertionError, match=re.escape(named)):
        suite.test_keeps_the_base_class_names_meaning(lambda space, seed: cls(space, seed), tiny)


def test_a_class_named_like_the_base_clobbers_its_books(tiny: SearchSpace) -> None:
    """Why the suite refuses that name: mangling cannot protect the books from it."""
    strategy = _named_like_the_base()(tiny)
    assert strategy._SearchStrategy__best == []
    assert any("_SearchStrategy__best was set to []" in p for p in reserved_name_problems(strategy))
