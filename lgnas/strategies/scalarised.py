"""Multi-objective search with any single-objective strategy, by random Chebyshev scalarisation.

A strategy that declares :attr:`SearchStrategy.supports_multi_objective` (genetic: NSGA-II)
handles several objectives itself, given as its ``objectives`` parameter; any other (random,
pso, rl, plugins) is wrapped in :class:`ScalarisedStrategy`, which tells it one number per
trial, so no strategy changes.

Why random augmented Chebyshev weights (ParEGO, Knowles, IEEE TEC 2006) and not a weighted
sum: a weighted sum only ever prefers points on the convex hull of the front, so a front with
a dent (a mid-sized model that is neither tiny nor best) is never aimed at; the Chebyshev
distance to the ideal point reaches every Pareto-optimal point for some weights. A fresh
weight vector per candidate spreads the search along the whole front instead of one fixed
trade-off. Objectives are normalised by the best and worst values told so far (costs on a log
scale, see :meth:`Objective.utility`), since quality (~0.1) and parameters (~1e5) share no
unit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint
from typing import Any

import numpy as np

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy
from lgnas.strategies.registry import load_strategy, make_strategy
from lgnas.trials import Candidate, Objective, Point, TrialResult, parse_objectives, utilities

RHO = 0.05  # weight of the augmenting sum: among equal Chebyshev values, prefer the better sum


class ScalarisedStrategy(SearchStrategy):
    """Wraps a strategy so it maximises a random Chebyshev scalarisation of several objectives.

    Asks are the inner strategy's; each told result reaches it with ``objective`` replaced by
    ``-(max_i w_i g_i + RHO * sum_i w_i g_i)``, where ``g_i`` is the normalised gap to the best
    value of objective ``i`` told so far and ``w`` the candidate's weights, drawn from a
    Dirichlet(1) seeded by the strategy's seed and the candidate id (so resuming needs no
    extra state). :meth:`recommend` stays the best quality, like the search's leaderboard.

    Args:
        inner: The single-objective strategy to drive.
        objectives: ``search.objectives``-style list, e.g. ``["ndcg@20", "-parameters"]``.
    """

    def __init__(self, inner: SearchStrategy, objectives: Sequence[str]) -> None:
        super().__init__(inner.space, inner.seed)
        self.inner = inner
        self.supports_batch = inner.supports_batch  # type: ignore[misc] - the inner's capability
        self.inherits_weights = inner.inherits_weights  # type: ignore[misc] - likewise
        self.finetunes_finalists = inner.finetunes_finalists  # type: ignore[misc] - likewise
        self.objectives = list(objectives)
        self._objectives = parse_objectives(self.objectives, where="scalarised objectives")
        self._best_seen: list[float] | None = None  # per objective, the best utility told
        self._worst_seen: list[float] | None = None

    def weights(self, candidate_id: int) -> np.ndarray:
        """The candidate's Chebyshev weights: positive, summing to one."""
        rng = np.random.default_rng([self.seed, candidate_id])
        return rng.dirichlet(np.ones(len(self._objectives)))

    def scalarise(self, candidate_id: int, vector: Sequence[float]) -> float:
        """The number the inner strategy maximises, after widening the bounds by ``vector``."""
        if self._best_seen is None or self._worst_seen is None:
            self._best_seen, self._worst_seen = list(vector), list(vector)
        self._best_seen = [max(b, v) for b, v in zip(self._best_seen, vector)]
        self._worst_seen = [min(w, v) for w, v in zip(self._worst_seen, vector)]
        gaps = np.array([
            (best - v) / (best - worst) if best > worst else 0.0
            for v, best, worst in zip(vector, self._best_seen, self._worst_seen)
        ])  # fmt: skip
        weighted = self.weights(candidate_id) * gaps
        return -float(weighted.max() + RHO * weighted.sum())

    def _ask(self, candidate_id: int) -> Point:
        (candidate,) = self.inner.ask(1)
        if candidate.id != candidate_id:  # both count asks from 0, so ids always agree
            raise RuntimeError(f"inner strategy asked {candidate.id}, expected {candidate_id}")
        return candidate.point

    def _adopt(self, candidate_id: int, point: Point) -> None:
        # The inner strategy asks the enqueued point too, and learns from it as its own.
        self.inner.enqueue([point])
        (candidate,) = self.inner.ask(1)
        if (candidate.id, candidate.point) != (candidate_id, point):
            raise RuntimeError(
                f"inner strategy asked {candidate.id} {candidate.point} for the enqueued "
                f"candidate {candidate_id} {point}"
            )

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        vector = utilities(self._objectives, result) if result.ok else None
        if vector is not None:
            result = dataclasses.replace(result, objective=self.scalarise(candidate.id, vector))
        elif result.ok:
            missing = [o.spec for o in self._objectives if o.utility(result) is None]
            result = TrialResult.failure(f"no value for objectives {missing}", cost=result.cost)
        self.inner.tell(candidate, result)

    def _trial_fields(self, candidate: Candidate) -> dict[str, Any]:
        return self.inner.trial_fields(candidate)

    def _state(self) -> dict[str, Any]:
        # The seed draws each candidate's weights, so a resumed search must keep the original.
        return {
            "seed": self.seed,
            "inner": self.inner.state_dict(),
            "best": self._best_seen,
            "worst": self._worst_seen,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self.inner.load_state_dict(state["inner"])
        self._best_seen, self._worst_seen = state["best"], state["worst"]


def build_strategy(
    name: str,
    space: SearchSpace,
    seed: int,
    options: dict[str, Any],
    objectives: Sequence[Objective],
    entry_points: Iterable[EntryPoint] | None = None,
) -> SearchStrategy:
    """The registered strategy ``name`` pursuing ``objectives`` (see the module docstring).

    A strategy whose class declares :attr:`~SearchStrategy.supports_multi_objective` gets
    several objectives as ``objectives=[...]`` (their ``search.objectives`` specs); any other
    is wrapped in :class:`ScalarisedStrategy`, and an ``objectives`` parameter it has is its
    own option, passed through from ``options`` like any other.

    Args:
        entry_points: The entry points to find ``name`` in instead of the installed ones
            (a test seam, see :func:`~lgnas.strategies.registry.scan`).

    Raises:
        ConfigError: ``strategy.objectives`` was set for a multi-objective strategy
            (``search.objectives`` is the one place), or the strategy declares
            ``supports_multi_objective`` without an ``objectives`` parameter.
    """
    multi = load_strategy(name, entry_points).supports_multi_objective  # checked on loading
    if multi and options.get("objectives") is not None:
        raise ConfigError(
            "strategy.objectives is filled from search.objectives; set search.objectives="
            f"{list(options['objectives'])} instead"
        )
    if len(objectives) == 1:
        return make_strategy(name, space, seed=seed, entry_points=entry_points, **options)
    specs = [o.spec for o in objectives]
    if multi:
        options = {**options, "objectives": specs}
        return make_strategy(name, space, seed=seed, entry_points=entry_points, **options)
    inner = make_strategy(name, space, seed=seed, entry_points=entry_points, **options)
    return ScalarisedStrategy(inner, specs)
