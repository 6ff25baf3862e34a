"""The ask/tell interface every search strategy implements, and the books the base keeps."""

from __future__ import annotations

import copy
import dataclasses
import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from lgnas.errors import ConfigError
from lgnas.search.trial import Candidate, Point, TrialResult
from lgnas.space import SearchSpace

_SAMPLE_TRIES = 50  # random draws before looking for an unseen point by enumeration
_ENUMERATE_LIMIT = 100_000  # largest finite space searched exhaustively for an unseen point
_STATE_FORMAT = 1


def _check_at_least(strategy: str, minimum: float, **params: float) -> None:
    """Constructor validation: :class:`ConfigError` naming the first of ``params`` below
    ``minimum``."""
    for key, value in params.items():
        if value < minimum:
            raise ConfigError(f"{strategy}: {key} must be >= {minimum}, got {value}")


def _check_unit_interval(strategy: str, interval: str, **params: float) -> None:
    """Constructor validation: :class:`ConfigError` naming the first of ``params`` outside
    ``interval``, one of ``"[0, 1]"``, ``"(0, 1]"`` and ``"[0, 1)"``."""
    for key, value in params.items():
        above = 0.0 < value if interval[0] == "(" else 0.0 <= value
        below = value < 1.0 if interval[-1] == ")" else value <= 1.0
        if not (above and below):
            raise ConfigError(f"{strategy}: {key} must be in {interval}, got {value}")


class SearchStrategy(ABC):
    """Proposes points of a search space (``ask``) and learns from their results (``tell``).

    Strategies maximise :attr:`TrialResult.objective`; failed trials are told like any
    other and must never crash a strategy. They never train, sleep or poll: the search loop
    owns the budget and where trials run.

    The public methods keep the books (candidate ids, pending candidates, seen points, the
    best result, the random generator) and validate; a subclass implements :meth:`_ask` and
    :meth:`_tell`, and :meth:`_state` / :meth:`_load_state` for whatever else it learns.

    Args:
        space: The space to search.
        seed: Seeds the strategy's own ``numpy.random.Generator`` (``self._rng``).
    """

    #: Whether several candidates may be asked before any of them is told.
    supports_batch: ClassVar[bool] = True
    #: Attempts at turning a proposal that repeats an asked point into a new one (by
    #: mutating or moving it again) before a random unseen point is taken instead.
    repeat_retries: ClassVar[int] = 20

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        self.space = space
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._next_id = 0
        self._pending: dict[int, Candidate] = {}
        self._seen: set[str] = set()
        self._best: tuple[Candidate, float] | None = None

    # -- public API -----------------------------------------------------------------------------

    def ask(self, n: int = 1) -> list[Candidate]:
        """The next ``n`` candidates to evaluate, each with a fresh id."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"ask(n) needs a positive integer n, got {n!r}")
        if not self.supports_batch and n + len(self._pending) > 1:
            raise ValueError(
                f"{type(self).__name__} does not support batches: tell the pending candidate "
                "before asking for another"
            )
        candidates = []
        for _ in range(n):
            candidate_id = self._next_id
            point = self._ask(candidate_id)
            try:
                point = self.space.validate(point)
            except ConfigError as err:
                raise RuntimeError(
                    f"{type(self).__name__} proposed an invalid point: {err}"
                ) from err
            self._next_id += 1
            candidate = Candidate(candidate_id, point)
            self._pending[candidate_id] = candidate
            self._seen.add(self.space.key(point))
            candidates.append(candidate)
        return candidates

    def tell(self, candidate: Candidate, result: TrialResult) -> None:
        """Report the result of a candidate this strategy asked for (once per candidate)."""
        if not isinstance(result, TrialResult):
            raise TypeError(f"tell needs a TrialResult, got {type(result).__name__}")
        asked = self._pending.get(candidate.id)
        if asked is None:
            state = "was already told" if candidate.id < self._next_id else "was never asked"
            raise ValueError(f"candidate {candidate.id} {state}; tell each asked candidate once")
        if asked.point != candidate.point:
            raise ValueError(f"candidate {candidate.id}'s point differs from the one asked")
        del self._pending[candidate.id]
        if result.ok and not math.isfinite(result.objective):  # type: ignore[arg-type]
            # A NaN would poison every comparison strategies make; a diverged run is a failure.
            result = dataclasses.replace(
                result, status="failed", error=f"objective is {result.objective}"
            )
        if result.ok and (self._best is None or result.objective > self._best[1]):
            self._best = (asked, float(result.objective))  # type: ignore[arg-type]
        self._tell(asked, result)

    def recommend(self) -> Candidate | None:
        """The candidate with the highest objective told so far; ``None`` before any success."""
        return self._best[0] if self._best else None

    @property
    def pending(self) -> tuple[Candidate, ...]:
        """Candidates asked for and not told yet, oldest first."""
        return tuple(self._pending.values())

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume, as JSON-serialisable plain data."""
        best = self._best
        return {
            "strategy": type(self).__name__,
            "format": _STATE_FORMAT,
            "next_id": self._next_id,
            "rng": copy.deepcopy(self._rng.bit_generator.state),
            "pending": [[c.id, c.point] for c in self._pending.values()],
            "seen": sorted(self._seen),
            "best": None if best is None else [best[0].id, best[0].point, best[1]],
            "internal": copy.deepcopy(self._state()),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict` output (built with the same space and parameters)."""
        if state.get("strategy") != type(self).__name__ or state.get("format") != _STATE_FORMAT:
            raise ValueError(
                f"state of {state.get('strategy')!r} (format {state.get('format')}) cannot be "
                f"loaded into {type(self).__name__} (format {_STATE_FORMAT})"
            )
        self._next_id = int(state["next_id"])
        self._rng.bit_generator.state = copy.deepcopy(state["rng"])
        self._pending = {int(i): Candidate(int(i), point) for i, point in state["pending"]}
        self._seen = set(state["seen"])
        best = state["best"]
        self._best = None if best is None else (Candidate(int(best[0]), best[1]), float(best[2]))
        self._load_state(state["internal"])

    # -- hooks ----------------------------------------------------------------------------------

    @abstractmethod
    def _ask(self, candidate_id: int) -> Point:
        """One new point; called ``n`` times by ``ask(n)``, the books updated in between."""

    @abstractmethod
    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        """Learn from one result (the base has already validated it and noted the best)."""

    def _state(self) -> dict[str, Any]:
        """What the subclass learned, as JSON-serialisable plain data."""
        return {}

    def _load_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_state` returned."""
        if state:
            raise ValueError(f"{type(self).__name__} keeps no internal state to restore")

    # -- helpers for subclasses -----------------------------------------------------------------

    def _is_seen(self, point: Point) -> bool:
        """Whether the point was already asked (evaluated or pending)."""
        return self.space.key(point) in self._seen

    def _sample_unseen(self) -> Point:
        """A random point not asked before, while the space has any left.

        Random draws first; in a finite space small enough to list, an unseen point is then
        picked from the full list, so the last few points are found too. Once every point was
        asked (or an infinite space keeps repeating), a repeat is returned.
        """
        point = self.space.sample(self._rng)
        for _ in range(_SAMPLE_TRIES):
            if not self._is_seen(point):
                return point
            point = self.space.sample(self._rng)
        size = self.space.size()
        if size is not None and len(self._seen) < size <= _ENUMERATE_LIMIT:
            unseen = [p for p in self.space.enumerate() if not self._is_seen(p)]
            return unseen[int(self._rng.integers(len(unseen)))]
        return point
