"""A strategy that drives an optimiser from another library (Optuna, Nevergrad) by ask/tell.

Such optimisers keep their state in objects that are not plain data, and they propose points
already evaluated. The bridge handles both once for every library:

* **Resume by replay.** The state is the seed and the history of asks (enqueued points
  among them) and tells; loading it builds a fresh strategy with that seed and replays the
  history through it. The libraries are deterministic for a given seed and history, so the
  replayed optimiser is the original one; a replay that proposes anything else (another
  library version) is refused.
* **No repeated trials.** A proposal that repeats a point already asked is answered with
  the known result (a failure while that point is still pending), and the nearest unseen
  point the strategy finds by mutating the proposal is imposed on the library instead (a
  random unseen one if mutations keep repeating). Asking the library again would mostly
  repeat too, and every answered repeat grows its history, which model-based samplers
  (TPE) pay for in every later proposal.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Any

from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy
from lgnas.trials import Candidate, Point, TrialResult

_PENDING_REPEAT = TrialResult.failure("repeats a point still being evaluated")
_REPEAT_MUTATION = 0.2  # per-gene redraw probability when moving off a repeated proposal


class OptimizerBridge(SearchStrategy):
    """Base of strategies whose proposals come from another library's ask/tell optimiser.

    A subclass implements :meth:`_propose`, :meth:`_impose` and :meth:`_report`; it keeps
    each constructor parameter as an attribute of the same name, so the replay can rebuild it.
    """

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        super().__init__(space, seed)
        self._tickets: dict[int, Any] = {}  # candidate id -> the library's handle of it
        self._told: dict[str, TrialResult] = {}  # point key -> result, to answer repeats
        self._history: list[list[Any]] = []  # ["ask", id, point] / ["tell", id, result]

    # -- what a library bridge implements -------------------------------------------------------

    @abstractmethod
    def _propose(self) -> tuple[Any, Point]:
        """Ask the library for a point: its handle of the proposal, and the point."""

    @abstractmethod
    def _impose(self, point: Point) -> Any:
        """Make the library's next proposal ``point``; its handle of that proposal."""

    @abstractmethod
    def _report(self, ticket: Any, result: TrialResult) -> None:
        """Tell the library the result of a proposal (``result.ok`` is false for failures)."""

    # -- SearchStrategy hooks -------------------------------------------------------------------

    def _ask(self, candidate_id: int) -> Point:
        ticket, point = self._propose()
        if self._is_seen(point):
            self._report(ticket, self._told.get(self.space.key(point), _PENDING_REPEAT))
            point = self._unseen_near(point)
            ticket = self._impose(point)
        self._tickets[candidate_id] = ticket
        self._history.append(["ask", candidate_id, self.space.validate(point)])
        return point

    def _adopt(self, candidate_id: int, point: Point) -> None:
        """An enqueued point is imposed on the library, which then learns from its result."""
        self._tickets[candidate_id] = self._impose(point)
        self._history.append(["seed", candidate_id, point])

    def _unseen_near(self, point: Point) -> Point:
        """A point not asked before, one or a few genes away from ``point`` if possible."""
        for _ in range(self.repeat_retries):
            point = self.space.mutate(point, self._rng, _REPEAT_MUTATION)
            if not self._is_seen(point):
                return point
        return self._sample_unseen()

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        self._report(self._tickets.pop(candidate.id), result)
        self._told[self.space.key(candidate.point)] = result
        self._history.append(["tell", candidate.id, _plain(result)])

    def _state(self) -> dict[str, Any]:
        return {"seed": self.seed, "history": self._history}

    def _load_state(self, state: dict[str, Any]) -> None:
        from lgnas.strategies.registry import strategy_params  # registry imports strategies

        params = {name: getattr(self, name) for name in strategy_params(type(self))}
        replica = type(self)(self.space, seed=int(state["seed"]), **params)
        for event, candidate_id, data in state["history"]:
            if event in ("ask", "seed"):  # "seed": an enqueued point, asked the same way
                if event == "seed":
                    replica.enqueue([data])
                (candidate,) = replica.ask()
                if (candidate.id, candidate.point) != (candidate_id, data):
                    raise ValueError(
                        f"{type(self).__name__}: cannot resume, replaying the history proposed "
                        f"{candidate.point} as candidate {candidate.id} where the state has "
                        f"{data} as {candidate_id}; was the optimiser library upgraded?"
                    )
            else:
                asked = next(c for c in replica.pending if c.id == candidate_id)
                replica.tell(asked, TrialResult(**data))
        self.__dict__.update(replica.__dict__)


def _plain(result: TrialResult) -> dict[str, Any]:
    """The result as JSON data: failed trials without an objective, finite numbers only."""

    def finite(values: dict[str, Any]) -> dict[str, float]:
        return {
            k: float(v)
            for k, v in values.items()
            if isinstance(v, int | float) and math.isfinite(v)
        }

    return {
        "objective": float(result.objective) if result.ok else None,  # type: ignore[arg-type]
        "status": "ok" if result.ok else "failed",
        "metrics": finite(result.metrics),
        "cost": finite(result.cost),
        "error": result.error,
        "fidelity": result.fidelity,
    }
