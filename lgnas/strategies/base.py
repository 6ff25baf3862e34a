"""The ask/tell interface every search strategy implements, and the books the base keeps."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.trials import Candidate, Point, TrialResult

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

    Points may be queued with :meth:`enqueue` (a warm start from earlier searches): :meth:`ask`
    returns them first, as ordinary candidates told like any other, so the strategy learns
    from them. A subclass whose :meth:`_tell` needs something :meth:`_ask` records about a
    candidate (its particle, the controller's decisions, a library's handle) overrides
    :meth:`_adopt` to record it for a queued point instead.

    What a subclass may use: ``self.space``, ``self.seed``, the seeded generator
    ``self._rng`` (draw from it, never replace it), :attr:`pending`, :meth:`recommend`,
    :meth:`_is_seen` and :meth:`_sample_unseen`. The books themselves are private to this
    class (name-mangled: ``self.__best`` is stored as ``_SearchStrategy__best``), so a
    subclass attribute such as ``self._best`` is the subclass's own and cannot corrupt
    them. The names in :data:`RESERVED` keep their meaning in every subclass;
    :func:`reserved_name_problems` (run by the conformance suite) checks that they do.

    Capabilities are class-level flags a subclass overrides:

    * :attr:`supports_batch` (default ``True``): several candidates may be asked before any
      is told. ``False`` makes :meth:`ask` refuse a second pending candidate.
    * :attr:`supports_multi_objective` (default ``False``): the strategy pursues several
      objectives itself (genetic: NSGA-II). It must then take an ``objectives`` constructor
      parameter defaulting to ``None`` (single objective); a multi-objective search passes
      ``search.objectives`` there, e.g. ``objectives=["ndcg@20", "-parameters"]`` (see
      :mod:`lgnas.trials.objectives`). A strategy without the flag is wrapped in
      :class:`~lgnas.strategies.scalarised.ScalarisedStrategy` and sees one number per
      trial. Declaring the flag without that parameter is refused when the strategy is
      loaded.
    * :attr:`inherits_weights` (default ``False``): a candidate whose :meth:`trial_fields`
      name a ``parent`` (a candidate id) starts from that parent's trained weights, so the
      search keeps every trial's weights while it runs (the staged search's stage 2).
    * :attr:`finetunes_finalists` (default ``False``): the final retrains of the found
      architectures continue from their trials' trained weights instead of starting from
      scratch (the staged search's stage 3); it needs :attr:`inherits_weights`, which keeps
      those weights.

    Args:
        space: The space to search.
        seed: Seeds the strategy's own ``numpy.random.Generator`` (``self._rng``).
    """

    #: Whether several candidates may be asked before any of them is told.
    supports_batch: ClassVar[bool] = True
    #: Whether the strategy handles several objectives itself, through an ``objectives``
    #: constructor parameter (``None``: single objective); else it is scalarised.
    supports_multi_objective: ClassVar[bool] = False
    #: Whether a candidate starts from the trained weights of the ``parent`` its
    #: :meth:`trial_fields` name.
    inherits_weights: ClassVar[bool] = False
    #: Whether the found architectures' retrains continue from their trials' weights.
    finetunes_finalists: ClassVar[bool] = False
    #: Attempts at turning a proposal that repeats an asked point into a new one (by
    #: mutating or moving it again) before a random unseen point is taken instead.
    repeat_retries: ClassVar[int] = 20

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        self.space = space
        self.seed = seed
        self._rng = np.random.default_rng(seed)  # the subclasses' generator too
        # The books, private to this class (name-mangled), so no subclass attribute clashes.
        self.__next_id = 0
        self.__pending: dict[int, Candidate] = {}
        self.__seen: set[str] = set()
        self.__best: tuple[Candidate, float] | None = None
        self.__queue: list[Point] = []  # enqueued points, asked before the strategy's own

    # -- public API -----------------------------------------------------------------------------

    def ask(self, n: int = 1) -> list[Candidate]:
        """The next ``n`` candidates to evaluate, each with a fresh id; :meth:`enqueue`-d
        points first."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"ask(n) needs a positive integer n, got {n!r}")
        if not self.supports_batch and n + len(self.__pending) > 1:
            raise ValueError(
                f"{type(self).__name__} does not support batches: tell the pending candidate "
                "before asking for another"
            )
        candidates = []
        for _ in range(n):
            candidate_id = self.__next_id
            point = self.__dequeue()
            if point is not None:
                self._adopt(candidate_id, copy.deepcopy(point))
            else:
                point = self._ask(candidate_id)
                try:
                    point = self.space.validate(point)
                except ConfigError as err:
                    raise RuntimeError(
                        f"{type(self).__name__} proposed an invalid point: {err}"
                    ) from err
            self.__next_id += 1
            candidate = Candidate(candidate_id, point)
            self.__pending[candidate_id] = candidate
            self.__seen.add(self.space.key(point))
            candidates.append(candidate)
        return candidates

    def enqueue(self, points: Iterable[Mapping[str, Any]]) -> list[Point]:
        """Queue points that :meth:`ask` returns before any the strategy proposes itself.

        A warm start: the points (say, the best of earlier searches) become the next
        candidates, in order, and are told like any other, so the strategy learns from them
        (a genetic search's first population counts them). A point asked before or already
        queued is skipped, also one that gets asked before its turn comes. The queue is part
        of :meth:`state_dict`.

        Returns:
            The points queued, in canonical form.

        Raises:
            ConfigError: A point is not valid in the space (nothing is queued then).
        """
        valid = [self.space.validate(point) for point in points]
        queued = {self.space.key(point) for point in self.__queue}
        added = []
        for point in valid:
            key = self.space.key(point)
            if key not in self.__seen and key not in queued:
                queued.add(key)
                added.append(point)
        self.__queue.extend(added)
        return copy.deepcopy(added)

    @property
    def queued(self) -> tuple[Point, ...]:
        """The enqueued points not asked yet, next first."""
        return tuple(copy.deepcopy(self.__queue))

    def __dequeue(self) -> Point | None:
        """The next queued point not asked meanwhile; ``None`` when the queue is empty."""
        while self.__queue:
            point = self.__queue.pop(0)
            if not self._is_seen(point):
                return point
        return None

    def tell(self, candidate: Candidate, result: TrialResult) -> None:
        """Report the result of a candidate this strategy asked for (once per candidate)."""
        if not isinstance(result, TrialResult):
            raise TypeError(f"tell needs a TrialResult, got {type(result).__name__}")
        asked = self.__pending.get(candidate.id)
        if asked is None:
            state = "was already told" if candidate.id < self.__next_id else "was never asked"
            raise ValueError(f"candidate {candidate.id} {state}; tell each asked candidate once")
        if asked.point != candidate.point:
            raise ValueError(f"candidate {candidate.id}'s point differs from the one asked")
        del self.__pending[candidate.id]
        if result.ok and not math.isfinite(result.objective):  # type: ignore[arg-type]
            # A NaN would poison every comparison strategies make; a diverged run is a failure.
            result = dataclasses.replace(
                result, status="failed", error=f"objective is {result.objective}"
            )
        if result.ok and (self.__best is None or result.objective > self.__best[1]):
            self.__best = (asked, float(result.objective))  # type: ignore[arg-type]
        self._tell(asked, result)

    def recommend(self) -> Candidate | None:
        """The candidate with the highest objective told so far; ``None`` before any success."""
        return self.__best[0] if self.__best else None

    def trial_fields(self, candidate: Candidate) -> dict[str, Any]:
        """Fields the journal records beside a pending candidate's trials, as plain JSON
        data (a staged search's ``stage`` and ``parent``); none by default.

        The search loop asks while the candidate is pending, just before journaling each of
        its trials, so a resumed search's journal reads like an uninterrupted one's.
        """
        return self._trial_fields(candidate)

    @property
    def pending(self) -> tuple[Candidate, ...]:
        """Candidates asked for and not told yet, oldest first."""
        return tuple(self.__pending.values())

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume, as JSON-serialisable plain data."""
        best = self.__best
        # Enqueued points not asked yet, only when there are any: the format is otherwise
        # unchanged from before the queue existed.
        queued = {"queued": copy.deepcopy(self.__queue)} if self.__queue else {}
        return {
            "strategy": type(self).__name__,
            "format": _STATE_FORMAT,
            "next_id": self.__next_id,
            "rng": copy.deepcopy(self._rng.bit_generator.state),
            "pending": [[c.id, c.point] for c in self.__pending.values()],
            "seen": sorted(self.__seen),
            "best": None if best is None else [best[0].id, best[0].point, best[1]],
            "internal": copy.deepcopy(self._state()),
            **queued,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict` output (built with the same space and parameters)."""
        if state.get("strategy") != type(self).__name__ or state.get("format") != _STATE_FORMAT:
            raise ValueError(
                f"state of {state.get('strategy')!r} (format {state.get('format')}) cannot be "
                f"loaded into {type(self).__name__} (format {_STATE_FORMAT})"
            )
        self.__next_id = int(state["next_id"])
        self._rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.__pending = {int(i): Candidate(int(i), point) for i, point in state["pending"]}
        self.__seen = set(state["seen"])
        best = state["best"]
        self.__best = None if best is None else (Candidate(int(best[0]), best[1]), float(best[2]))
        self._load_state(state["internal"])
        # After the subclass's state: a strategy may rebuild the books there (the bridge
        # replays its history). A state without queued points has no "queued".
        self.__queue = copy.deepcopy(list(state.get("queued", [])))

    # -- hooks ----------------------------------------------------------------------------------

    @abstractmethod
    def _ask(self, candidate_id: int) -> Point:
        """One new point; called ``n`` times by ``ask(n)``, the books updated in between."""

    @abstractmethod
    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        """Learn from one result (the base has already validated it and noted the best)."""

    def _adopt(self, candidate_id: int, point: Point) -> None:  # noqa: B027 - optional hook
        """Note that candidate ``candidate_id`` is ``point``, an :meth:`enqueue`-d point
        asked instead of calling :meth:`_ask`; it is told like any other.

        Override it when :meth:`_tell` needs what :meth:`_ask` records about a candidate. The
        default records nothing, which suits strategies that learn from the point and result
        alone (random, genetic, annealing).
        """

    def _trial_fields(self, candidate: Candidate) -> dict[str, Any]:
        """What :meth:`trial_fields` returns; override it to journal something per trial."""
        return {}

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
        return self.space.key(point) in self.__seen

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
        if size is not None and len(self.__seen) < size <= _ENUMERATE_LIMIT:
            unseen = [p for p in self.space.enumerate() if not self._is_seen(p)]
            return unseen[int(self._rng.integers(len(unseen)))]
        return point


# -- reserved names ---------------------------------------------------------------------------

_Check = tuple[Callable[[Any], bool], str]  # a test of a value, and what it should be

#: The instance attributes the base sets and subclasses read: never rebind them to
#: something else.
_SHARED: dict[str, _Check] = {
    "space": (lambda v: isinstance(v, SearchSpace), "the SearchSpace searched"),
    "seed": (
        lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool),
        "the integer seed",
    ),
    "_rng": (
        lambda v: isinstance(v, np.random.Generator),
        "the strategy's numpy.random.Generator (state_dict saves it)",
    ),
}
#: The base's private books, as stored (name-mangled).
_BOOKS: dict[str, _Check] = {
    "_SearchStrategy__next_id": (
        lambda v: isinstance(v, int) and not isinstance(v, bool),
        "the next candidate id",
    ),
    "_SearchStrategy__pending": (
        lambda v: isinstance(v, dict) and all(isinstance(c, Candidate) for c in v.values()),
        "the pending candidates by id",
    ),
    "_SearchStrategy__seen": (lambda v: isinstance(v, set), "the keys of the asked points"),
    "_SearchStrategy__best": (
        lambda v: (
            v is None or (isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], Candidate))
        ),
        "None or (best candidate, its objective)",
    ),
    "_SearchStrategy__queue": (
        lambda v: isinstance(v, list) and all(isinstance(p, dict) for p in v),
        "the list of enqueued points",
    ),
}
#: Class-level capability flags and settings a subclass may override, with their type.
_FLAGS: dict[str, _Check] = {
    "supports_batch": (lambda v: isinstance(v, bool), "a bool"),
    "supports_multi_objective": (lambda v: isinstance(v, bool), "a bool"),
    "inherits_weights": (lambda v: isinstance(v, bool), "a bool"),
    "repeat_retries": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "an int >= 0",
    ),
}
#: The base's methods and properties: overridable hooks (``_ask``, ...) or not, an instance
#: attribute of the same name shadows them, and a subclass may only override them in kind.
_METHODS = frozenset(
    name
    for name, value in vars(SearchStrategy).items()
    if isinstance(value, property | staticmethod | classmethod) or inspect.isfunction(value)
) - {"__init__"}
#: Every name whose meaning :class:`SearchStrategy` owns.
RESERVED = frozenset(_SHARED) | frozenset(_BOOKS) | frozenset(_FLAGS) | _METHODS


def _kind(value: Any) -> str:
    if isinstance(value, property):
        return "a property"
    if isinstance(value, staticmethod | classmethod) or callable(value):
        return "a method"
    return f"a {type(value).__name__}"


def reserved_name_problems(strategy: SearchStrategy) -> list[str]:
    """How ``strategy`` (or its class) reuses a name of :data:`RESERVED` for something else;
    empty when it does not.

    Checked: the base's instance attributes (``space``, ``seed``, ``_rng``) and private books
    hold what the base put there; no instance attribute shadows a method or property of the
    base; a subclass overrides the base's methods only with methods (properties with
    properties) and its capability flags with values of their type; no class between the
    strategy and :class:`SearchStrategy` is itself named ``SearchStrategy``, whose private
    ``__names`` would be mangled onto the base's books.
    """
    cls = type(strategy)
    problems = []
    for klass in cls.__mro__[: cls.__mro__.index(SearchStrategy)]:
        where = f"{klass.__module__}.{klass.__qualname__}"
        if klass.__name__ == SearchStrategy.__name__:
            problems.append(
                f"{where} is named like the base class, so its private attributes "
                "(self.__name) collide with the base's books; rename the class"
            )
        for name, value in vars(klass).items():
            if name in _METHODS and _kind(value) != _kind(vars(SearchStrategy)[name]):
                problems.append(
                    f"{where}.{name} is {_kind(value)}, where the base's {name} is "
                    f"{_kind(vars(SearchStrategy)[name])}"
                )
            elif name in _FLAGS and not _FLAGS[name][0](value):
                problems.append(f"{where}.{name} = {value!r} must be {_FLAGS[name][1]}")
            elif name in _SHARED or name in _BOOKS:
                problems.append(f"{where} defines {name}, an instance attribute of the base")
    attributes = vars(strategy)
    for name, (ok, meaning) in {**_SHARED, **_BOOKS, **_FLAGS}.items():
        if name in attributes and not ok(attributes[name]):
            problems.append(
                f"{cls.__name__}.{name} was set to {attributes[name]!r:.80}; it must stay {meaning}"
            )
        elif name not in attributes and name not in _FLAGS:
            problems.append(f"{cls.__name__} has no {name}: call super().__init__(space, seed)")
    for name in sorted(_METHODS & set(attributes)):
        problems.append(f"{cls.__name__}.{name} was assigned, hiding the base's {name}")
    for name in attributes:
        if name.startswith("_SearchStrategy__") and name not in _BOOKS:
            problems.append(f"{cls.__name__}.{name} is not one of the base's books")
    return problems
