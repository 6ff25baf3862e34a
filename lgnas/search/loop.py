"""The search loop: ask the strategy, evaluate, journal, tell, until the budget is spent."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lgnas.search.journal import Journal
from lgnas.search.progress import SearchProgress
from lgnas.search.trial import Candidate, Point, TrialResult
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy

Evaluate = Callable[[Point, "int | None"], TrialResult]


@dataclass(frozen=True)
class Budget:
    """When a search stops: after ``trials`` trials or ``seconds`` of trial time, if given."""

    trials: int | None = 20
    seconds: float | None = None

    def spent(self, trials: int, seconds: float) -> bool:
        """Whether a search with this many trials and trial seconds behind it must stop."""
        return (self.trials is not None and trials >= self.trials) or (
            self.seconds is not None and seconds >= self.seconds
        )


@dataclass
class SearchOutcome:
    """Every trial of a search, in order, with the best one."""

    trials: list[tuple[Candidate, TrialResult]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the space's key of each trial's point

    @property
    def best(self) -> tuple[Candidate, TrialResult] | None:
        finished = [t for t in self.trials if t[1].ok]
        return max(finished, key=lambda t: t[1].objective) if finished else None

    def top(self, k: int) -> list[tuple[Candidate, TrialResult]]:
        """The ``k`` best successful trials, one per distinct point, best first."""
        best: dict[str, tuple[Candidate, TrialResult]] = {}
        for key, trial in zip(self.keys, self.trials):
            if trial[1].ok and key not in best:
                best[key] = trial
        return sorted(best.values(), key=lambda t: -t[1].objective)[:k]


def run_search(
    strategy: SearchStrategy,
    space: SearchSpace,
    evaluate: Evaluate,
    journal: Journal,
    budget: Budget,
    batch_size: int = 1,
    fidelity: int | None = None,
    progress: SearchProgress | None = None,
) -> SearchOutcome:
    """Run (or resume) a search.

    Trials already in the journal are not trained again: the strategy, rebuilt with the same
    seed, is replayed through them (its proposals are checked against the journal), so a
    resumed search ends exactly as an uninterrupted one would. A point proposed twice is
    trained once; the repeat reuses its result and costs no time. Trial time (failed trials
    included) counts toward the time budget, also the recorded time of replayed trials.
    """
    outcome = SearchOutcome()
    by_key: dict[str, TrialResult] = {}
    seconds = 0.0
    while not budget.spent(len(outcome.trials), seconds):
        remaining = budget.trials - len(outcome.trials) if budget.trials is not None else batch_size
        candidates = strategy.ask(min(batch_size, remaining))
        if not candidates:  # the strategy has nothing left to propose
            break
        for candidate in candidates:
            key = space.key(candidate.point)
            result = journal.lookup(candidate, key)
            if result is None:
                result = by_key.get(key)
                if progress:
                    progress.start(candidate)
                started = time.perf_counter()
                result = result if result is not None else evaluate(candidate.point, fidelity)
                journal.record(candidate, key, result, wall_seconds=time.perf_counter() - started)
            if key not in by_key:  # a repeat was not trained again
                seconds += float(result.cost.get("seconds", 0.0))
                by_key[key] = result
            outcome.trials.append((candidate, result))
            outcome.keys.append(key)
            if progress:
                progress.finish(candidate, result, outcome)
        for candidate, result in outcome.trials[-len(candidates) :]:
            strategy.tell(candidate, result)
    return outcome
