"""The search loop: ask the strategy, evaluate, journal, tell, until the budget is spent."""

from __future__ import annotations

from dataclasses import dataclass, field

from lgnas.search.executor import Evaluate, Job, SerialExecutor, TrialExecutor
from lgnas.search.journal import Journal
from lgnas.search.progress import SearchProgress
from lgnas.search.trial import Candidate, TrialResult
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy

__all__ = ["Budget", "Evaluate", "SearchOutcome", "run_search"]


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
    executor: TrialExecutor | None = None,
) -> SearchOutcome:
    """Run (or resume) a search.

    Trials already in the journal are not trained again: the strategy, rebuilt with the same
    seed, is replayed through them (its proposals are checked against the journal), so a
    resumed search ends exactly as an uninterrupted one would. A point proposed twice is
    trained once; the repeat reuses its result and costs no time. Trial time (failed trials
    included) counts toward the time budget, also the recorded time of replayed trials.

    Each batch's new points go to ``executor`` (default: :class:`SerialExecutor`) at once; a
    result is journaled the moment it arrives, and the strategy is told in candidate order, so
    any executor gives the same search as the serial one.
    """
    outcome = SearchOutcome()
    by_key: dict[str, TrialResult] = {}
    seconds = 0.0
    with (executor or SerialExecutor()).serving(evaluate) as running:
        while not budget.spent(len(outcome.trials), seconds):
            done = len(outcome.trials)
            remaining = budget.trials - done if budget.trials is not None else batch_size
            candidates = strategy.ask(min(batch_size, remaining))
            if not candidates:  # the strategy has nothing left to propose
                break
            batch = _Batch(candidates, space, journal, by_key, progress, outcome)
            results = batch.evaluate(running, fidelity)
            for candidate, key, result in zip(candidates, batch.keys, results):
                if key not in by_key:  # a repeat was not trained again
                    seconds += float(result.cost.get("seconds", 0.0))
                    by_key[key] = result
                outcome.trials.append((candidate, result))
                outcome.keys.append(key)
            for candidate, result in zip(candidates, results):
                strategy.tell(candidate, result)
    return outcome


class _Batch:
    """One batch of candidates: journal and repeat lookups, then its new points executed."""

    def __init__(
        self,
        candidates: list[Candidate],
        space: SearchSpace,
        journal: Journal,
        known: dict[str, TrialResult],
        progress: SearchProgress | None,
        outcome: SearchOutcome,
    ) -> None:
        self.candidates, self.journal, self.progress = candidates, journal, progress
        self.keys = [space.key(c.point) for c in candidates]
        self.known = dict(known)  # results by key, growing with this batch's journal hits
        self.best = outcome.best[1] if outcome.best else None
        self.results: dict[int, TrialResult] = {}  # by position in the batch

    def evaluate(self, executor: TrialExecutor, fidelity: int | None) -> list[TrialResult]:
        """Every candidate's result, in candidate order; new ones journaled as they finish."""
        waiting: dict[str, list[int]] = {}  # key -> positions that wait for its training
        for position, (candidate, key) in enumerate(zip(self.candidates, self.keys)):
            recorded = self.journal.lookup(candidate, key)
            if recorded is not None:
                self.known.setdefault(key, recorded)
                self._finish(position, recorded)
            elif key in self.known:
                self.journal.record(candidate, key, self.known[key], wall_seconds=0.0)
                self._finish(position, self.known[key])
            else:
                waiting.setdefault(key, []).append(position)
        firsts = [positions[0] for positions in waiting.values()]
        jobs = [Job(first, self.candidates[first].point, fidelity) for first in firsts]
        for job in jobs:
            if self.progress:
                self.progress.start(self.candidates[job.tag])
        for finished in executor.run(jobs):
            for repeat, position in enumerate(waiting[self.keys[finished.tag]]):
                wall = 0.0 if repeat else finished.wall_seconds  # a repeat is not trained again
                candidate, key = self.candidates[position], self.keys[position]
                self.journal.record(candidate, key, finished.result, wall_seconds=wall)
                self._finish(position, finished.result)
        missing = [c.id for i, c in enumerate(self.candidates) if i not in self.results]
        if missing:
            raise RuntimeError(f"the executor returned no result for trials {missing}")
        return [self.results[i] for i in range(len(self.candidates))]

    def _finish(self, position: int, result: TrialResult) -> None:
        self.results[position] = result
        if result.ok and (self.best is None or result.objective > self.best.objective):
            self.best = result
        if self.progress:
            self.progress.finish(self.candidates[position], result, self.best)
