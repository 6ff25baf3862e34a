"""Multi-fidelity schedules: successive halving and Hyperband brackets over training epochs.

A bracket screens a batch of candidates at a low fidelity and promotes the best ``1/eta`` of
them, rung by rung, to ``eta`` times the epochs, up to the search's full fidelity. On large
graphs a bracket may first screen ``eta`` times its candidates on a proxy: a seeded subgraph
(``search.proxy_users``), whose epochs cost a fraction of the full graph's. The
scheduler only plans brackets and picks whom to promote; the search loop asks the strategy,
trains and journals (:func:`lgnas.search.loop.run_search`), so any strategy works with it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lgnas.errors import ConfigError
from lgnas.trials import TrialResult, fidelity_epochs, on_proxy, proxy_fidelity

SCHEDULERS = ("none", "sha", "hyperband")


@dataclass(frozen=True)
class Bracket:
    """One bracket: ``rungs[j] = (fidelity, candidates trained at it)``, counts decreasing;
    a first rung on the proxy has a negative fidelity (:func:`~lgnas.trials.proxy_fidelity`)."""

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
        proxy_epochs: Epochs of a proxy rung under every bracket that screens (one with
            rungs below full fidelity): ``eta`` times the bracket's first rung's candidates
            train this long on the proxy subgraph, the best ``1/eta`` go on to the full graph
            (from scratch: the graphs differ). ``None``: no proxy rung.
        proxy_share: The work of a proxy epoch in full-graph epochs (the proxy's training
            interactions over the full graph's), which is what a proxy trial's epochs count
            toward the trial budget.
    """

    kind: str
    min_fidelity: int
    max_fidelity: int
    eta: int = 3
    warm_start: bool = False
    proxy_epochs: int | None = None
    proxy_share: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULERS[1:]:
            raise ConfigError(
                f"search.scheduler={self.kind!r} is unknown; choose one of {list(SCHEDULERS)}"
            )
        _check_int("search.fidelity", self.max_fidelity, 1)
        _check_int("search.min_fidelity", self.min_fidelity, 1)
        _check_int("search.eta", self.eta, 2)
        if self.proxy_epochs is not None:
            _check_int("search.proxy_epochs", self.proxy_epochs, 1)
        if not 0 < self.proxy_share <= 1:
            raise ValueError(f"proxy_share={self.proxy_share} must be in (0, 1]")
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
        full = tuple((f, max(1, n // self.eta**j)) for j, f in enumerate(rungs))
        if self.proxy_epochs is None or s == 0:
            return Bracket(full)
        return Bracket(((proxy_fidelity(self.proxy_epochs), n * self.eta), *full))

    def charges(self, bracket: Bracket) -> list[float]:
        """What each candidate of each rung counts toward the trial budget, in full-graph
        epochs: all of the rung's epochs, or with a warm start only those beyond the previous
        full-graph rung's; a proxy rung's epochs times :attr:`proxy_share`."""
        charges, before = [], 0
        for fidelity, _ in bracket.rungs:
            epochs = fidelity_epochs(fidelity) or 0
            if on_proxy(fidelity):
                charges.append(epochs * self.proxy_share)
                continue
            charges.append(epochs - before)
            before = epochs if self.warm_start else 0
        return charges

    def opening(self, bracket: Bracket) -> int:
        """How many of the bracket's first rungs must fit the budget before it starts: its
        first, and with a proxy rung also the full-graph rung it feeds, since proxy scores
        choose nothing by themselves (they are on another graph's scale)."""
        return 2 if on_proxy(bracket.rungs[0][0]) and len(bracket.rungs) > 1 else 1

    def opening_cost(self, bracket: Bracket) -> float:
        """Full-graph epochs :meth:`opening`'s rungs count toward the trial budget."""
        charges = self.charges(bracket)
        return sum(charges[j] * bracket.rungs[j][1] for j in range(self.opening(bracket)))

    def brackets(self) -> Iterator[Bracket]:
        """The brackets to run, in order, without end (the loop's budget stops them)."""
        top = len(self.ladder) - 1
        order = range(top, -1, -1) if self.kind == "hyperband" else [top]
        while True:
            yield from (self.bracket(s) for s in order)


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
