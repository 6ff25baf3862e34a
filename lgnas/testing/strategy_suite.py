"""The conformance tests every search strategy, built-in or plugin, must pass.

Subclass :class:`StrategyConformance` in a test module and name the strategy::

    from lgnas.testing import StrategyConformance

    class TestMyStrategy(StrategyConformance):
        strategy_name = "my_strategy"   # its entry-point name

or override the ``make`` fixture to build it some other way. Tests that need a capability a
strategy does not declare (say ``supports_batch``) are skipped, never failed. One test
checks that the strategy leaves the names the base class owns alone
(:func:`lgnas.strategies.base.reserved_name_problems`).
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pytest

from lgnas.space import SearchSpace, load_space
from lgnas.strategies import SearchStrategy, make_strategy
from lgnas.strategies.base import reserved_name_problems
from lgnas.trials import Candidate, Point, TrialResult

StrategyFactory = Callable[[SearchSpace, int], SearchStrategy]
Objective = Callable[[Point], float]


@functools.cache
def _space(name: str) -> SearchSpace:
    return load_space(name)


def synthetic_objective(space: SearchSpace, seed: int = 0) -> Objective:
    """A deterministic score to maximise: a seeded random linear function of the encoding.

    Linear in the one-hot/scaled encoding means every gene adds its own fixed contribution,
    so a strategy that learns which values pay off can find the best points quickly.
    """
    weights = np.random.default_rng(seed).normal(size=space.encoding_size)
    return lambda point: float(weights @ space.encode(point))


def synthetic_parameters(space: SearchSpace, point: Point) -> int:
    """A deterministic model size for a point: log-linear in its encoding, 1k to 10M or so.

    Every synthetic result carries it as ``cost["parameters"]``, so multi-objective
    strategies (objectives such as ``[score, -parameters]``) run the same suite.
    """
    weights = np.random.default_rng(12345).normal(size=space.encoding_size)
    return int(round(10 ** (5 + 0.5 * np.tanh(float(weights @ space.encode(point))))))


def run(
    strategy: SearchStrategy,
    objective: Objective,
    trials: int,
    batch: int = 1,
    fails: Callable[[Candidate], bool] = lambda c: False,
) -> list[Candidate]:
    """A miniature search loop: ask ``trials`` candidates, ``batch`` at a time, tell each.

    Candidates for which ``fails`` holds are told as failed trials; strategies that do not
    support batches are asked one candidate at a time.
    """
    batch = batch if type(strategy).supports_batch else 1
    asked: list[Candidate] = []
    while len(asked) < trials:
        candidates = strategy.ask(min(batch, trials - len(asked)))
        for candidate in candidates:
            strategy.tell(candidate, _result(strategy.space, candidate, objective, fails))
        asked.extend(candidates)
    return asked


def _result(
    space: SearchSpace,
    candidate: Candidate,
    objective: Objective,
    fails: Callable[[Candidate], bool],
) -> TrialResult:
    if fails(candidate):
        return TrialResult.failure("synthetic failure")
    cost = {"parameters": synthetic_parameters(space, candidate.point)}
    return TrialResult(objective(candidate.point), cost=cost)


def _every_third(candidate: Candidate) -> bool:
    return candidate.id % 3 == 1


class StrategyConformance:
    """Behaviour every :class:`~lgnas.strategies.SearchStrategy` must show (optuna's pattern).

    Attributes:
        strategy_name: Entry-point name of the strategy under test (or override ``make``).
        trials: Candidates per short search.
        batch: Candidates asked at a time, for strategies that support batches.
        budget: Trials of the improvement test, on the enumerable ``tiny`` space.
        improvement_seeds: Seeds of the improvement test; most must succeed.
    """

    strategy_name: ClassVar[str | None] = None
    trials: ClassVar[int] = 12
    batch: ClassVar[int] = 3
    budget: ClassVar[int] = 50
    improvement_seeds: ClassVar[tuple[int, ...]] = (0, 1, 2)

    @staticmethod
    def factory(name: str, **params: Any) -> StrategyFactory:
        """A ``make`` function building the registered strategy ``name``."""
        return lambda space, seed: make_strategy(name, space, seed, **params)

    @pytest.fixture
    def make(self) -> StrategyFactory:
        """Builds the strategy under test for a space and seed."""
        if self.strategy_name is None:
            raise TypeError(f"{type(self).__name__}: set strategy_name or override `make`")
        return self.factory(self.strategy_name)

    @pytest.fixture
    def space(self) -> SearchSpace:
        """The full design space: conditional, per-layer and continuous dimensions."""
        return _space("default")

    def test_same_seed_same_proposals(self, make: StrategyFactory, space: SearchSpace) -> None:
        objective = synthetic_objective(space)
        first, second = (
            run(make(space, 7), objective, self.trials, self.batch, _every_third) for _ in range(2)
        )
        assert first == second

    def test_every_proposal_is_valid(self, make: StrategyFactory, space: SearchSpace) -> None:
        # cells: per-layer genes that exist only in some layers (a cell's extra nodes).
        for current in (space, _space("tiny"), _space("cells")):
            for candidate in run(
                make(current, 1),
                synthetic_objective(current),
                self.trials,
                self.batch,
                _every_third,
            ):
                assert current.validate(candidate.point) == candidate.point

    def test_state_dict_round_trips_mid_search(
        self, make: StrategyFactory, space: SearchSpace
    ) -> None:
        objective = synthetic_objective(space)
        original = make(space, 3)
        run(original, objective, self.trials, self.batch, _every_third)
        pending = original.ask(self.batch if type(original).supports_batch else 1)
        state = json.loads(json.dumps(original.state_dict(), allow_nan=False))
        restored = make(space, 12345)  # a different seed: everything must come from the state
        restored.load_state_dict(state)
        assert restored.pending == tuple(pending)
        for strategy in (original, restored):
            for candidate in pending:
                strategy.tell(candidate, _result(space, candidate, objective, _every_third))
        after = [
            run(s, objective, self.trials, self.batch, _every_third) for s in (original, restored)
        ]
        assert after[0] == after[1]
        assert original.recommend() == restored.recommend()

    def test_failed_trials_are_handled(self, make: StrategyFactory, space: SearchSpace) -> None:
        strategy = make(space, 5)
        run(strategy, synthetic_objective(space), self.trials, self.batch, lambda c: True)
        assert strategy.recommend() is None
        told = run(strategy, synthetic_objective(space), self.trials, self.batch, _every_third)
        best = strategy.recommend()
        assert best is not None and best in told and not _every_third(best)

    def test_recommend_returns_best_told(self, make: StrategyFactory, space: SearchSpace) -> None:
        objective = synthetic_objective(space)
        strategy = make(space, 11)
        told = run(strategy, objective, self.trials, self.batch, _every_third)
        ok = [c for c in told if not _every_third(c)]
        assert strategy.recommend() == max(ok, key=lambda c: objective(c.point))

    def test_tell_refuses_unknown_or_repeated_candidates(
        self, make: StrategyFactory, space: SearchSpace
    ) -> None:
        strategy = make(space, 0)
        (candidate,) = strategy.ask()
        with pytest.raises(ValueError, match="never asked"):
            strategy.tell(Candidate(candidate.id + 100, candidate.point), TrialResult(1.0))
        strategy.tell(candidate, TrialResult(1.0))
        with pytest.raises(ValueError, match="already told"):
            strategy.tell(candidate, TrialResult(1.0))

    def test_batches_are_pending_until_told(
        self, make: StrategyFactory, space: SearchSpace
    ) -> None:
        strategy = make(space, 2)
        if not type(strategy).supports_batch:
            pytest.skip(f"{type(strategy).__name__} declares supports_batch = False")
        batch = strategy.ask(4)
        assert len({c.id for c in batch}) == 4 and strategy.pending == tuple(batch)
        for candidate in reversed(batch):  # results may come back in any order
            strategy.tell(candidate, TrialResult(float(candidate.id)))
        assert strategy.pending == () and strategy.recommend() == batch[-1]

    def test_enqueued_points_are_asked_first(
        self, make: StrategyFactory, space: SearchSpace
    ) -> None:
        """A warm start (:meth:`SearchStrategy.enqueue`): the queued points are the first
        candidates, in order and once each, and are told like any other; the search goes on
        with valid points of the strategy's own."""
        strategy = make(space, 8)
        rng = np.random.default_rng(99)
        points = [space.validate(space.sample(rng)) for _ in range(3)]
        assert strategy.enqueue([*points, points[0]]) == points  # a repeat is queued once
        told = run(strategy, synthetic_objective(space), self.trials, self.batch, _every_third)
        assert [c.point for c in told[: len(points)]] == points
        assert all(space.validate(c.point) == c.point for c in told)
        assert strategy.queued == () and strategy.enqueue(points[:1]) == []  # asked before

    def test_state_dict_keeps_the_queue(self, make: StrategyFactory, space: SearchSpace) -> None:
        objective = synthetic_objective(space)
        rng = np.random.default_rng(98)
        original = make(space, 9)
        original.enqueue([space.sample(rng) for _ in range(2 * self.batch + 1)])
        run(original, objective, self.batch, self.batch, _every_third)
        state = json.loads(json.dumps(original.state_dict(), allow_nan=False))
        restored = make(space, 12345)
        restored.load_state_dict(state)
        assert restored.queued == original.queued and len(original.queued) > 0
        after = [
            run(s, objective, self.trials, self.batch, _every_third) for s in (original, restored)
        ]
        assert after[0] == after[1]

    def test_keeps_the_base_class_names_meaning(
        self, make: StrategyFactory, space: SearchSpace
    ) -> None:
        """The names :class:`SearchStrategy` owns (``space``, ``seed``, ``_rng``, its books,
        methods and capability flags: ``lgnas.strategies.base.RESERVED``) are never rebound
        to something else, after construction, mid-search and after a resume."""
        strategy = make(space, 6)
        _assert_keeps_reserved_names(strategy, "constructed")
        run(strategy, synthetic_objective(space), self.trials, self.batch, _every_third)
        strategy.ask(self.batch if type(strategy).supports_batch else 1)
        _assert_keeps_reserved_names(strategy, "after asks and tells")
        restored = make(space, 0)
        restored.load_state_dict(json.loads(json.dumps(strategy.state_dict())))
        _assert_keeps_reserved_names(restored, "resumed")

    def test_leaves_global_random_state_alone(
        self, make: StrategyFactory, space: SearchSpace
    ) -> None:
        before = _global_random_state()
        run(make(space, 4), synthetic_objective(space), self.trials, self.batch, _every_third)
        assert _global_random_state() == before

    def test_improves_on_synthetic_objective(self, make: StrategyFactory) -> None:
        """Within ``budget`` trials on ``tiny`` (220 points), the best found reaches the top
        10 % of the space (or at least random search's median best) for most seeds.

        The space is enumerated, so the threshold is exact; every seed is fixed, so the test
        is deterministic. Random search misses the top 10 % in 50 draws with probability
        below 1 % per seed; a strategy that fixates on poor points fails.
        """
        tiny = _space("tiny")
        passed = []
        for seed in self.improvement_seeds:
            objective = synthetic_objective(tiny, seed)
            scores = sorted((objective(p) for p in tiny.enumerate()), reverse=True)
            top_decile = scores[math.ceil(0.1 * len(scores)) - 1]
            target = min(top_decile, _random_median_best(tiny, objective, self.budget))
            told = run(make(tiny, seed), objective, self.budget, batch=5)
            passed.append(max(objective(c.point) for c in told) >= target)
        assert sum(passed) > len(passed) / 2, f"reached the target for seeds: {passed}"


def _assert_keeps_reserved_names(strategy: SearchStrategy, stage: str) -> None:
    problems = reserved_name_problems(strategy)
    assert not problems, f"reserved names reused ({stage}):\n" + "\n".join(problems)


def _random_median_best(space: SearchSpace, objective: Objective, budget: int) -> float:
    """Median over 11 seeded runs of the best of ``budget`` independent random draws."""
    bests = []
    for seed in range(11):
        rng = np.random.default_rng(1000 + seed)
        bests.append(max(objective(space.sample(rng)) for _ in range(budget)))
    return float(np.median(bests))


def _global_random_state() -> tuple[Any, ...]:
    """Python's, numpy's legacy and torch's global generator states, comparable with ==."""
    import torch  # a dependency of lgnas; imported here so plugins' suites stay light

    legacy = np.random.get_state()
    return (
        random.getstate(),
        legacy[0],
        legacy[1].tobytes(),
        *legacy[2:],
        torch.get_rng_state().numpy().tobytes(),
    )
