"""Steady-state genetic search, optionally as regularized evolution (ageing) or NSGA-II."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy, _check_at_least, _check_unit_interval
from lgnas.trials import Candidate, Point, TrialResult, crowded_ranks, parse_objectives, utilities


class GeneticSearch(SearchStrategy):
    """Tournament selection, uniform crossover and per-gene mutation over a fixed population.

    Steady state, so it fits ask/tell with any batch size: the first ``population_size``
    candidates are random; every later one is a child of the population as told so far.
    Each told result joins the population and, once it is full, evicts the worst member, or
    the oldest with ``ageing`` (regularized evolution, Real et al., AAAI 2019). Failed
    trials rank below every success. A child is never a point asked before: it is mutated
    again, up to a bound, then replaced by a random unseen point.

    With ``graft`` and points :meth:`enqueue`-d (``search.prior``), the random ones of that
    first population are grafts instead: an enqueued point's training recipe on a random
    message-passing graph (:meth:`~lgnas.space.SearchSpace.with_random_graph`), so a prior of
    matrix factorisations (graph models converge slower and rank lower after few epochs) lends
    its recipe to graph models at once. Off by default: measured, it narrowed the recipes
    explored and ended below random first members (BENCHMARKS.md, "Grafts").

    With several ``objectives`` it is a steady-state NSGA-II (Deb et al., IEEE TEC 2002):
    members are ranked by non-dominated front, then by crowding distance within it, and that
    order replaces the objective in tournaments and eviction, so the population spreads along
    the Pareto front instead of collapsing onto the single best quality.

    Args:
        space: The space to search.
        seed: Seeds the strategy's random generator.
        population_size: Members kept.
        tournament_size: Members drawn per tournament; the best of them is a parent.
        mutation_rate: Probability of redrawing each gene of a child.
        crossover_rate: Probability a child has two parents rather than one.
        elitism: The best members that are never evicted (under ``ageing``; evicting the
            worst keeps the best anyway).
        ageing: Evict the oldest member instead of the worst.
        objectives: ``search.objectives``-style list, e.g. ``["ndcg@20", "-parameters"]``
            (see :mod:`lgnas.trials.objectives`); ``None`` or one entry: single-objective.
        graft: Fill the first population with grafts of the enqueued points, not random ones.
    """

    supports_multi_objective = True  # NSGA-II: a search's objectives reach ``objectives``

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        population_size: int = 10,
        tournament_size: int = 3,
        mutation_rate: float = 0.2,
        crossover_rate: float = 0.5,
        elitism: int = 1,
        ageing: bool = False,
        objectives: Sequence[str] | None = None,
        graft: bool = False,
    ) -> None:
        super().__init__(space, seed)
        _check_at_least("genetic", 2, population_size=population_size)
        if not 1 <= tournament_size <= population_size:
            raise ConfigError(
                f"genetic: tournament_size must be in 1..population_size "
                f"({population_size}), got {tournament_size}"
            )
        _check_unit_interval(
            "genetic", "[0, 1]", mutation_rate=mutation_rate, crossover_rate=crossover_rate
        )
        if not 0 <= elitism < population_size:
            raise ConfigError(
                f"genetic: elitism must be in 0..population_size - 1 "
                f"({population_size - 1}), got {elitism}"
            )
        self.population_size = population_size
        self.tournament_size = tournament_size
        self.mutation_rate = mutation_rate
        self.crossover_rate = crossover_rate
        self.elitism = elitism
        self.ageing = ageing
        if not isinstance(graft, bool):
            raise ConfigError(f"genetic: graft must be true or false, got {graft!r}")
        self.graft = graft
        self._enqueued: list[Point] = []  # enqueued points asked so far: the grafts' recipes
        self.objectives = None if objectives is None else list(objectives)
        parsed = (
            parse_objectives(self.objectives, where="genetic: objectives") if objectives else ()
        )
        self._objectives = parsed if len(parsed) > 1 else ()
        # Members oldest first: [point, objective or None for a failed trial], plus with several
        # objectives the objective vector (None for a failed trial).
        self._population: list[list[Any]] = []

    def _ask(self, candidate_id: int) -> Point:
        if candidate_id < self.population_size or not self._population:
            return self._graft_unseen(candidate_id) or self._sample_unseen()
        child = self._select()
        if len(self._population) > 1 and self._rng.random() < self.crossover_rate:
            child = self.space.crossover(child, self._select(), self._rng)
        child = self.space.mutate(child, self._rng, self.mutation_rate)
        for _ in range(self.repeat_retries):
            if not self._is_seen(child):
                return child
            child = self.space.mutate(child, self._rng, self.mutation_rate)
        return self._sample_unseen()

    def _adopt(self, candidate_id: int, point: Point) -> None:
        self._enqueued.append(point)

    def _graft_unseen(self, candidate_id: int) -> Point | None:
        """A graft of the enqueued points in turn not asked before, or ``None``."""
        if not (self.graft and self._enqueued):
            return None
        recipe = self._enqueued[candidate_id % len(self._enqueued)]
        for _ in range(self.repeat_retries):
            point = self.space.with_random_graph(recipe, self._rng)
            if point is None:
                return None
            if not self._is_seen(point):
                return point
        return None

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        member = [candidate.point, result.objective if result.ok else None]
        if self._objectives:
            member.append(utilities(self._objectives, result) if result.ok else None)
        self._population.append(member)
        if len(self._population) > self.population_size:
            fitness = self._fitness().__getitem__
            ranked = sorted(range(len(self._population)), key=fitness, reverse=True)
            evictable = sorted(ranked[self.elitism :])  # oldest first
            victim = evictable[0] if self.ageing else min(evictable, key=fitness)
            del self._population[victim]

    def _fitness(self) -> list[Any]:
        """Each member's sort key, larger is fitter: the objective (failed: -inf), or with
        several objectives NSGA-II's (-front, crowding distance) over the population."""
        if self._objectives:
            return crowded_ranks([member[2] for member in self._population])
        return [-math.inf if m[1] is None else m[1] for m in self._population]

    def _select(self) -> Point:
        """Tournament: the fittest of ``tournament_size`` members drawn without replacement."""
        size = min(self.tournament_size, len(self._population))
        drawn = self._rng.choice(len(self._population), size=size, replace=False)
        return self._population[max(drawn.tolist(), key=self._fitness().__getitem__)][0]

    def _state(self) -> dict[str, Any]:
        return {"population": self._population, "enqueued": self._enqueued}

    def _load_state(self, state: dict[str, Any]) -> None:
        self._population = [list(member) for member in state["population"]]
        self._enqueued = list(state.get("enqueued", []))
