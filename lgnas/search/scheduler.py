"""Multi-fidelity schedules: successive halving and Hyperband brackets over training epochs.

A bracket screens a batch of candidates at a low fidelity and promotes the best ``1/eta`` of
them, rung by rung, to ``eta`` times the epochs, up to the search's full fidelity. The
scheduler only plans brackets and picks whom to promote; the search loop asks the strategy,
trains and journals (:func:`lgnas.search.loop.run_search`), so any strategy works with it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lgnas.errors import ConfigError
from lgnas.trials import TrialResult

SCHEDULERS = ("none", "sha", "hyperband")


@dataclass(frozen=True)
class Bracket:
    """One bracket: ``rungs[j] = (epochs, candidates trained at them)``, counts decreasing."""

    rungs: tuple[tuple[int, int], ...]

    @property
    def size(self) -> int:
        """Candidates asked of the strategy for this bracket (those of its first rung)."""
        return self.rungs[0][1]


@dataclass(frozen=True)
class FidelityScheduler:
    """Plans successive-halving (``sha``) or Hyperband (``hyperband``) brackets.

    Fidelities form the ladder ``min_fidelity * eta**k`` below ``max_fidelity``, then
    ``max_fidelity`` itself. Successive halving repeats the most aggressive bracket
    (``eta**K`` candidates from the lowest rung, ``K`` the ladder's top index), which screens
    the most candidates per epoch. Hyperband (Li et al., 2018, https://arxiv.org/abs/1603.06560)
    cycles through all ``K + 1`` brackets, from that one to plain full-fidelity trials, hedging
    against low fidelities that rank candidates badly. Rung ``j`` of a bracket of ``n``
    candidates keeps ``max(1, floor(n / eta**j))``.

    Args:
        kind: ``sha`` or ``hyperband``.
        min_fidelity: Epochs of the lowest rung.
        max_fidelity: Epochs of the top rung (the search's full fidelity).
        eta: Promotion factor: the best ``1/eta`` go on with ``eta`` times the epochs.
        warm_start: Whether a promoted candidate continues its lower rung's training (the
            evaluator keeps checkpoints), so a rung costs only its extra epochs.
    """

    kind: str
    min_fidelity: int
    max_fidelity: int
    eta: int = 3
    warm_start: bool = False

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULERS[1:]:
            raise ConfigError(
                f"search.scheduler={self.kind!r} is unknown; choose one of {list(SCHEDULERS)}"
            )
        _check_int("search.fidelity", self.max_fidelity, 1)
        _check_int("search.min_fidelity", self.min_fidelity, 1)
        _check_int("search.eta", self.eta, 2)
        if not isinstance(self.warm_start, bool):
            raise ConfigError(f"search.warm_start={self.warm_start!r} must be true or false")
        if self.min_fidelity > self.max_fidelity:
            raise ConfigError(
                f"search.min_fidelity={self.min_fidelity} exceeds search.fidelity="
                f"{self.max_fidelity}; lower it (a multi-fidelity search starts below full)"
            )

    @property
    def ladder(self) -> tuple[int, ...]:
        """The fidelities (epochs) of the rungs, lowest first, ending at ``max_fidelity``."""
        low = [self.min_fidelity]
        while low[-1] * self.eta < self.max_fidelity:
            low.append(low[-1] * self.eta)
        return tuple(low[:-1] if low[-1] == self.max_fidelity else low) + (self.max_fidelity,)

    def bracket(self, s: int) -> Bracket:
        """The bracket that starts ``s`` rungs below the top (Hyperband's bracket ``s``)."""
        top = len(self.ladder) - 1
        if self.kind == "hyperband":
            n = math.ceil((top + 1) / (s + 1) * self.eta**s)
        else:
            n = self.eta**s
        rungs = self.ladder[top - s :]
        return Bracket(tuple((f, max(1, n // self.eta**j)) for j, f in enumerate(rungs)))

    def charges(self, bracket: Bracket) -> list[int]:
        """Epochs each candidate of each rung trains: all of the rung's, or with a warm start
        only those beyond the previous rung's."""
        epochs = [f for f, _ in bracket.rungs]
        before = [0, *epochs[:-1]] if self.warm_start else [0] * len(epochs)
        return [f - b for f, b in zip(epochs, before)]

    def brackets(self) -> Iterator[Bracket]:
        """The brackets to run, in order, without end (the loop's budget stops them)."""
        top = len(self.ladder) - 1
        order = range(top, -1, -1) if self.kind == "hyperband" else [top]
        while True:
            yield from (self.bracket(s) for s in order)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> FidelityScheduler | None:
        """The scheduler ``search.*`` asks for; ``None`` for ``search.scheduler=none``.

        Raises:
            ConfigError: An unknown scheduler, or a fidelity setting that is missing, not a
                whole number or out of range (the message names the key).
        """
        kind = settings.get("scheduler", "none")
        if kind in (None, "none"):
            return None
        if settings.get("fidelity") is None:
            raise ConfigError(
                f"search.scheduler={kind} needs search.fidelity (the full epochs); it is null"
            )
        return cls(
            kind=kind,
            min_fidelity=settings.get("min_fidelity"),
            max_fidelity=settings.get("fidelity"),
            eta=settings.get("eta", 3),
            warm_start=settings.get("warm_start", False),
        )


def promote(keys: Sequence[str], results: Sequence[TrialResult], count: int) -> list[int]:
    """Positions of the candidates that go on to the next rung, in candidate order.

    The ``count`` best distinct points by objective (ties: the earlier candidate) go on;
    a failed trial never does. Candidates repeating a promoted point go on with it without
    taking a place, since their training is shared.
    """
    ranked = sorted(
        (i for i, r in enumerate(results) if r.ok),
        key=lambda i: -results[i].objective,  # type: ignore[operator]
    )
    chosen: list[str] = []
    for i in ranked:
        if len(chosen) == count:
            break
        if keys[i] not in chosen:
            chosen.append(keys[i])
    return [i for i, key in enumerate(keys) if key in chosen and results[i].ok]


def _check_int(key: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{key}={value!r} must be a whole number >= {minimum}")
