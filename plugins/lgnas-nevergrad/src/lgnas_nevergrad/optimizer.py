"""Any Nevergrad optimiser, chosen by name, driven through its ask/tell interface."""

from __future__ import annotations

import contextlib
import difflib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.strategies.bridge import OptimizerBridge
from lgnas.trials import Point, TrialResult
from lgnas_nevergrad.parametrization import parametrization, to_point, to_value

# Nevergrad minimises and has no failed state: a failure is told as the worst loss there is
# (Nevergrad clips it to 5e20; rank-based optimisers then simply rank it last).
_FAILED_LOSS = float("inf")


class NevergradSearch(OptimizerBridge):
    """A Nevergrad optimiser by name: NGOpt, TwoPointsDE, PortfolioDiscreteOnePlusOne, PSO...

    Rapin & Teytaud, Nevergrad (2018). The space is one Nevergrad parameter per gene
    (choices, ordered choices for integers, log-scaled scalars); the optimiser minimises the
    negated objective.

    Args:
        space: The space to search.
        seed: Seeds the parametrization's random state, which the optimiser draws from.
        optimizer: A name of ``nevergrad.optimizers.registry``.
        budget: Trials the optimiser plans for (NGOpt picks its algorithm by it).
        num_workers: Candidates evaluated in parallel (``search.batch_size``).
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        optimizer: str = "NGOpt",
        budget: int = 100,
        num_workers: int = 1,
    ) -> None:
        super().__init__(space, seed)
        import nevergrad as ng

        registry = ng.optimizers.registry
        if optimizer not in registry:
            close = difflib.get_close_matches(optimizer, list(registry), n=5)
            raise ConfigError(
                f"nevergrad: unknown optimizer {optimizer!r}; did you mean one of {close}? "
                "Any name of nevergrad.optimizers.registry works (e.g. NGOpt, TwoPointsDE, "
                "PortfolioDiscreteOnePlusOne, PSO)"
            )
        if budget < 1 or num_workers < 1:
            raise ConfigError(
                f"nevergrad: budget and num_workers must be >= 1, got {budget} and {num_workers}"
            )
        self.optimizer = optimizer
        self.budget = budget
        self.num_workers = num_workers
        own, legacy = np.random.SeedSequence(seed).spawn(2)
        self._legacy_state = np.random.RandomState(legacy.generate_state(4)).get_state()
        with self._legacy_global_random():
            params = parametrization(space)
            params.random_state = np.random.RandomState(own.generate_state(4))
            self._optimizer = registry[optimizer](
                parametrization=params, budget=budget, num_workers=num_workers
            )

    @contextlib.contextmanager
    def _legacy_global_random(self) -> Iterator[None]:
        """Lend Nevergrad a seeded numpy global generator of this strategy's own.

        Some Nevergrad code draws from ``np.random`` directly (differential evolution,
        mutation radii, unseeded parametrizations); swapping in a private state keeps those
        draws reproducible and the process's global generator untouched.
        """
        outer = np.random.get_state()
        np.random.set_state(self._legacy_state)
        try:
            yield
        finally:
            self._legacy_state = np.random.get_state()
            np.random.set_state(outer)

    def _propose(self) -> tuple[Any, Point]:
        with self._legacy_global_random():
            candidate = self._optimizer.ask()
        return candidate, to_point(self.space, candidate.value)

    def _impose(self, point: Point) -> Any:
        template = self._optimizer.parametrization.value
        with self._legacy_global_random():
            self._optimizer.suggest(to_value(self.space, point, template))
            return self._optimizer.ask()

    def _report(self, ticket: Any, result: TrialResult) -> None:
        from nevergrad.common.errors import LossTooLargeWarning

        loss = -float(result.objective) if result.ok else _FAILED_LOSS  # type: ignore[arg-type]
        with warnings.catch_warnings(), self._legacy_global_random():
            warnings.simplefilter("ignore", LossTooLargeWarning)  # the failure, as intended
            self._optimizer.tell(ticket, loss)
