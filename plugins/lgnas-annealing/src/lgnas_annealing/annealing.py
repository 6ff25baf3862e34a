"""Simulated annealing over an lgnas search space: the template of a strategy plugin.

Everything a strategy needs comes from lgnas's public API: the space samples, mutates and
validates points (``space.sample``, ``space.mutate``), the base class keeps the books (ids,
pending candidates, the best result, the seeded generator ``self._rng``) and refuses bad
calls. The strategy only decides what to ask next and what to learn from a result.
"""

from __future__ import annotations

import math
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy
from lgnas.trials import Candidate, Point, TrialResult


class SimulatedAnnealing(SearchStrategy):
    """Simulated annealing: mutate the current point, accept worse ones ever more rarely.

    Kirkpatrick, Gelatt & Vecchi, Science 1983. A worse result is accepted with probability
    ``exp(-loss / (T * spread))``, where ``spread`` is the range of objectives told so far,
    so ``temperature`` needs no rescaling between metrics (NDCG, recall, ...). ``T`` starts
    at ``temperature`` and is multiplied by ``cooling`` after every result. Failed trials
    are never accepted. Candidates asked together are all neighbours of the current point.

    Args:
        space: The space to search.
        seed: Seeds the strategy's random generator.
        temperature: Initial temperature, relative to the spread of objectives.
        cooling: Factor applied to the temperature after each told result, in (0, 1].
        mutation_rate: Probability of redrawing each gene of the current point.
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        temperature: float = 0.5,
        cooling: float = 0.95,
        mutation_rate: float = 0.3,
    ) -> None:
        super().__init__(space, seed)
        # Hydra passes configs straight in, so bad values are refused here, by name.
        if temperature <= 0:
            raise ConfigError(f"annealing: temperature must be > 0, got {temperature}")
        if not 0 < cooling <= 1:
            raise ConfigError(f"annealing: cooling must be in (0, 1], got {cooling}")
        if not 0 < mutation_rate <= 1:
            raise ConfigError(f"annealing: mutation_rate must be in (0, 1], got {mutation_rate}")
        self.temperature = temperature
        self.cooling = cooling
        self.mutation_rate = mutation_rate
        self._current: list[Any] | None = None  # [point, objective] of the accepted state
        self._range: list[float] | None = None  # [lowest, highest] objective told
        self._t = temperature

    def _ask(self, candidate_id: int) -> Point:
        if self._current is None:
            return self._sample_unseen()
        point = self._current[0]
        for _ in range(self.repeat_retries):
            point = self.space.mutate(point, self._rng, self.mutation_rate)
            if not self._is_seen(point):
                return point
        return self._sample_unseen()  # the neighbourhood is exhausted

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        if result.ok:
            value = float(result.objective)  # type: ignore[arg-type]
            low, high = self._range or (value, value)
            self._range = [min(low, value), max(high, value)]
            if self._current is None or self._accepts(self._current[1] - value):
                self._current = [candidate.point, value]
        self._t *= self.cooling

    def _accepts(self, loss: float) -> bool:
        """Metropolis rule: always for an improvement, else with a falling probability."""
        if loss <= 0:
            return True
        spread = self._range[1] - self._range[0]  # type: ignore[index]  # > 0: loss > 0
        return bool(self._rng.random() < math.exp(-loss / (self._t * spread)))

    # The base class saves its own books; a strategy saves what it learned, as plain data.
    def _state(self) -> dict[str, Any]:
        return {"current": self._current, "range": self._range, "t": self._t}

    def _load_state(self, state: dict[str, Any]) -> None:
        self._current, self._range, self._t = state["current"], state["range"], state["t"]
