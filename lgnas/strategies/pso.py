"""Particle swarm optimisation over the space's continuous [0, 1]^D encoding."""

from __future__ import annotations

from typing import Any

import numpy as np

from lgnas.space import Categorical, Dimension, SearchSpace
from lgnas.strategies.base import SearchStrategy, _check_at_least, _check_unit_interval
from lgnas.trials import Candidate, Point, TrialResult


class ParticleSwarmSearch(SearchStrategy):
    """Global-best PSO (Kennedy & Eberhart, 1995; inertia weight of Shi & Eberhart, 1998) over
    :meth:`SearchSpace.encode`'s ``[0, 1]^D``, decoded stochastically.

    Asynchronous: a particle moves as soon as its last point was told,
    ``v = inertia·v + cognitive·r1·(personal best − x) + social·r2·(global best − x)``,
    each velocity component clamped to ``±velocity_clamp`` and the position to ``[0, 1]``.

    A position is read as a distribution over points, as in probabilistic discrete PSO
    (Strasser et al., "An Integer and Categorical PSO", 2016): each categorical gene is drawn
    with probabilities proportional to its one-hot block's coordinates, numeric genes are
    decoded from their slot, and every gene is, with probability ``explore``, drawn from the
    prior instead. Personal and global bests are the encodings of the points evaluated.
    Why: with argmax decoding a converged swarm decodes to points already asked, and a
    repeat can only be escaped at random (40 % of proposals on the synthetic table); sampling
    keeps proposing unseen neighbours of the bests instead, in every dimension.

    A move whose point was asked before is repeated (see :meth:`_place`). When every
    particle awaits a result, further asks are random unseen points that only feed the
    global best. Failed trials improve no best.

    The defaults (three particles, so the swarm converges within a few dozen trials, and
    ``explore=0.15``) were chosen on the synthetic-data tabular benchmark and on random
    landscapes, not on the ml-100k one they are judged on (BENCHMARKS.md).

    Args:
        space: The space to search.
        seed: Seeds the strategy's random generator.
        swarm_size: Number of particles.
        inertia: Weight of a particle's previous velocity.
        cognitive: Pull towards the particle's own best position.
        social: Pull towards the swarm's best position.
        velocity_clamp: Largest move per coordinate and step.
        explore: Probability that a decoded gene is drawn from the prior instead.
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        swarm_size: int = 3,
        inertia: float = 0.5,
        cognitive: float = 1.5,
        social: float = 1.5,
        velocity_clamp: float = 0.5,
        explore: float = 0.15,
    ) -> None:
        super().__init__(space, seed)
        _check_at_least("pso", 1, swarm_size=swarm_size)
        _check_unit_interval("pso", "(0, 1]", velocity_clamp=velocity_clamp)
        _check_unit_interval("pso", "[0, 1]", explore=explore)
        _check_at_least("pso", 0, inertia=inertia, cognitive=cognitive, social=social)
        self.swarm_size = swarm_size
        self.inertia = inertia
        self.cognitive = cognitive
        self.social = social
        self.velocity_clamp = velocity_clamp
        self.explore = explore
        d = space.encoding_size
        self._x = self._rng.random((swarm_size, d))
        self._v = self._rng.uniform(-velocity_clamp, velocity_clamp, (swarm_size, d))
        self._best_x = self._x.copy()
        self._best_f: list[float | None] = [None] * swarm_size
        self._global_x: np.ndarray | None = None
        self._global_f: float | None = None
        self._told = [False] * swarm_size  # evaluated at its current position: move before asking
        self._waiting: dict[int, tuple[int | None, np.ndarray]] = {}  # id -> (particle, encoding)
        self._turn = 0  # round-robin over particles

    def _ask(self, candidate_id: int) -> Point:
        busy = {particle for particle, _ in self._waiting.values()}
        free = [(self._turn + k) % self.swarm_size for k in range(self.swarm_size)]
        free = [p for p in free if p not in busy]
        particle = free[0] if free else None
        if particle is None:
            point = self._sample_unseen()
        else:
            self._turn = (particle + 1) % self.swarm_size
            point = self._place(particle)
        self._waiting[candidate_id] = (particle, self.space.encode(point))
        return point

    def _adopt(self, candidate_id: int, point: Point) -> None:
        """An enqueued point becomes the start of a particle not asked yet (the next in turn),
        so the swarm starts from it; once every particle was asked, it only feeds the global
        best."""
        encoding = self.space.encode(point)
        busy = {particle for particle, _ in self._waiting.values()}
        order = [(self._turn + k) % self.swarm_size for k in range(self.swarm_size)]
        # Neither waiting for a result nor told one: a particle never asked.
        fresh = [p for p in order if p not in busy and not self._told[p]]
        particle = fresh[0] if fresh else None
        if particle is not None:
            self._x[particle] = encoding
            self._turn = (particle + 1) % self.swarm_size
        self._waiting[candidate_id] = (particle, encoding)

    def _decode(self, x: np.ndarray) -> Point:
        """A point drawn from the distribution position ``x`` stands for (see the class)."""

        def gene(dim: Dimension, layer: int | None) -> Any:
            if self._rng.random() < self.explore:
                return dim.sample(self._rng)
            block = x[self.space.block(dim.name, layer)]
            if not isinstance(dim, Categorical):
                return dim.decode(block)
            weights = np.clip(block, 0.0, 1.0) + 1e-12  # an all-zero block: uniform
            return dim.choices[int(self._rng.choice(dim.width, p=weights / weights.sum()))]

        return self.space.build(gene)

    def _place(self, i: int) -> Point:
        """Move particle ``i`` (if told) until it decodes to a point not asked before.

        A particle that cannot leave asked points restarts at a random unseen one.
        """
        point = self._decode(self._x[i])
        if self._told[i]:
            for _ in range(self.repeat_retries):
                self._move(i)
                point = self._decode(self._x[i])
                if not self._is_seen(point):
                    break
            self._told[i] = False
        if self._is_seen(point):
            point = self._sample_unseen()
            self._x[i] = self.space.encode(point)
        return point

    def _move(self, i: int) -> None:
        x = self._x[i]
        personal = self._best_x[i] if self._best_f[i] is not None else x
        swarm = self._global_x if self._global_x is not None else x
        r1, r2 = self._rng.random(x.shape), self._rng.random(x.shape)
        v = (
            self.inertia * self._v[i]
            + self.cognitive * r1 * (personal - x)
            + self.social * r2 * (swarm - x)
        )
        self._v[i] = np.clip(v, -self.velocity_clamp, self.velocity_clamp)
        self._x[i] = np.clip(x + self._v[i], 0.0, 1.0)

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        particle, encoding = self._waiting.pop(candidate.id)
        if particle is not None:
            self._told[particle] = True
        if not result.ok:
            return
        objective = float(result.objective)  # type: ignore[arg-type]
        if particle is not None and (
            self._best_f[particle] is None or objective > self._best_f[particle]
        ):
            self._best_f[particle] = objective
            self._best_x[particle] = encoding
        if self._global_f is None or objective > self._global_f:
            self._global_f, self._global_x = objective, encoding.copy()

    def _state(self) -> dict[str, Any]:
        return {
            "x": self._x.tolist(),
            "v": self._v.tolist(),
            "best_x": self._best_x.tolist(),
            "best_f": list(self._best_f),
            "global_x": None if self._global_x is None else self._global_x.tolist(),
            "global_f": self._global_f,
            "told": list(self._told),
            "waiting": [[i, p, x.tolist()] for i, (p, x) in self._waiting.items()],
            "turn": self._turn,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self._x = np.array(state["x"], dtype=float)
        self._v = np.array(state["v"], dtype=float)
        self._best_x = np.array(state["best_x"], dtype=float)
        self._best_f = list(state["best_f"])
        self._global_x = None if state["global_x"] is None else np.array(state["global_x"])
        self._global_f = state["global_f"]
        self._told = list(state["told"])
        self._waiting = {int(i): (p, np.array(x, dtype=float)) for i, p, x in state["waiting"]}
        self._turn = int(state["turn"])
