"""The base of library bridges: repeats answered without a trial, resume by replay."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lgnas.space import SearchSpace, load_space
from lgnas.strategies.bridge import OptimizerBridge
from lgnas.testing import StrategyConformance, run, synthetic_objective
from lgnas.trials import Point, TrialResult


class _Library:
    """A stand-in optimiser library: seeded draws, and a log of what it was told."""

    def __init__(self, space: SearchSpace, seed: int) -> None:
        self.space, self.rng, self.told, self.queue = space, np.random.default_rng(seed), [], []

    def ask(self) -> Point:
        return self.queue.pop() if self.queue else self.space.sample(self.rng)


class LibraryBridge(OptimizerBridge):
    """Random proposals from :class:`_Library`, through the bridge."""

    def __init__(self, space: SearchSpace, seed: int = 0, label: str = "x") -> None:
        super().__init__(space, seed)
        self.label = label
        self.library = _Library(space, seed)

    def _propose(self) -> tuple[Any, Point]:
        point = self.library.ask()
        return point, point

    def _impose(self, point: Point) -> Any:
        self.library.queue.append(point)
        return self.library.ask()

    def _report(self, ticket: Any, result: TrialResult) -> None:
        self.library.told.append((ticket, result.objective if result.ok else None))


class TestBridgeConformance(StrategyConformance):
    @pytest.fixture
    def make(self):  # type: ignore[override]
        return LibraryBridge


def test_a_repeated_proposal_is_told_the_known_result_and_costs_no_trial() -> None:
    space = load_space("tiny")
    strategy = LibraryBridge(space, seed=0)
    told = run(strategy, synthetic_objective(space), 120)
    keys = [space.key(c.point) for c in told]
    assert len(set(keys)) == len(keys)  # 120 distinct trials out of 220 points
    library_told = strategy.library.told
    assert len(library_told) > len(told)  # the repeats were told to the library too
    by_key = {space.key(c.point): synthetic_objective(space)(c.point) for c in told}
    for point, objective in library_told:
        assert objective == by_key[space.key(point)]


def test_every_point_is_asked_once_when_the_library_keeps_repeating() -> None:
    space = load_space("tiny")
    strategy = LibraryBridge(space, seed=0)
    strategy.library.ask = lambda: space.sample(np.random.default_rng(0))  # always one point
    told = run(strategy, synthetic_objective(space), 30)
    assert len({space.key(c.point) for c in told}) == 30  # unseen points were imposed


def test_a_history_that_does_not_replay_is_refused() -> None:
    space = load_space("tiny")
    strategy = LibraryBridge(space, seed=0)
    run(strategy, synthetic_objective(space), 3)
    state = strategy.state_dict()
    state["internal"]["seed"] = 1  # another seed: the replay proposes other points
    with pytest.raises(ValueError, match=r"LibraryBridge: cannot resume, replaying the history"):
        LibraryBridge(space).load_state_dict(state)


def test_the_replay_keeps_the_constructor_parameters() -> None:
    space = load_space("tiny")
    strategy = LibraryBridge(space, seed=0, label="y")
    run(strategy, synthetic_objective(space), 3)
    restored = LibraryBridge(space, seed=5, label="y")
    restored.load_state_dict(strategy.state_dict())
    assert restored.label == "y" and restored.seed == 0
