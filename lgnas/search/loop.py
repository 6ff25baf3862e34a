"""The search loop: ask the strategy, evaluate, journal, tell, until the budget is spent."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lgnas.errors import ConfigError
from lgnas.search.executor import Evaluate, Job, Parent, SerialExecutor, TrialExecutor
from lgnas.search.journal import Journal
from lgnas.search.progress import SearchProgress
from lgnas.search.scheduler import FidelityScheduler, promote
from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy
from lgnas.trials import (
    Candidate,
    TrialResult,
    describe_fidelity,
    fidelity_epochs,
    fidelity_order,
    on_proxy,
)

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
    """Every trial of a search, in order, with the best one.

    With a multi-fidelity scheduler a candidate has a trial per rung it reached; ``best`` and
    ``top`` compare only trials at the highest fidelity present, since fewer epochs score
    lower for reasons that have nothing to do with the architecture.
    """

    trials: list[tuple[Candidate, TrialResult]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the space's key of each trial's point
    epochs: int = 0  # training epochs spent, repeats and replayed trials' recorded ones included
    seconds: float = 0.0  # trial time, as the budget counts it (replayed trials' included)
    new: int = 0  # trials this run added to the journal (the others were read back from it)
    spent: bool = False  # the budget ended the search (not the strategy running out)

    @property
    def best(self) -> tuple[Candidate, TrialResult] | None:
        finished = [t for _, t in self._comparable()]
        return max(finished, key=lambda t: t[1].objective) if finished else None

    def top(self, k: int) -> list[tuple[Candidate, TrialResult]]:
        """The ``k`` best successful trials, one per distinct point, best first."""
        best: dict[str, tuple[Candidate, TrialResult]] = {}
        for key, trial in self._comparable():
            best.setdefault(key, trial)
        return sorted(best.values(), key=lambda t: -t[1].objective)[:k]

    def _comparable(self) -> list[tuple[str, tuple[Candidate, TrialResult]]]:
        ok = [(key, t) for key, t in zip(self.keys, self.trials) if t[1].ok]
        levels = {t[1].fidelity for _, t in ok}
        top = None if None in levels else max(levels, default=None)  # None: full fidelity
        return [(key, t) for key, t in ok if t[1].fidelity == top]


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
    scheduler: FidelityScheduler | None = None,
) -> SearchOutcome:
    """Run (or resume) a search.

    Trials already in the journal are not trained again: the strategy, rebuilt with the same
    seed, is replayed through them (its proposals are checked against the journal), so a
    resumed search ends exactly as an uninterrupted one would. A point proposed twice is
    trained once per fidelity; the repeat reuses its result and costs no time. Trial time
    (failed trials included) counts toward the time budget, also the recorded time of
    replayed trials. Budgets may change on a resume: when a smaller one stops the replay, the
    journal's later trials are added to the outcome as they are, so every finished trial
    counts toward the best found and the finalists.

    Each batch's new points go to ``executor`` (default: :class:`SerialExecutor`) at once; a
    result is journaled the moment it arrives, and the strategy is told in candidate order, so
    any executor gives the same search as the serial one.

    With a ``scheduler``, candidates are asked a bracket at a time and trained rung by rung
    (see :func:`_run_brackets`); otherwise each is trained once at ``fidelity`` epochs.
    """
    books = _Books(space, journal, progress, strategy.trial_fields)
    journaled = len(journal)
    executor = executor or SerialExecutor()
    if progress is not None and executor.starting:
        progress.phase(executor.starting)
    with executor.serving(evaluate) as running:
        if scheduler is not None:
            books.outcome.spent = _run_brackets(strategy, scheduler, books, running, budget)
        else:
            books.outcome.spent = _run_trials(
                strategy, books, running, budget, batch_size, fidelity
            )
    books.read_rest()
    books.outcome.new = len(journal) - journaled
    return books.outcome


def _run_trials(
    strategy: SearchStrategy,
    books: _Books,
    running: TrialExecutor,
    budget: Budget,
    batch_size: int,
    fidelity: int | None,
) -> bool:
    """Batches of trials at ``fidelity`` until the budget is spent (``True``) or the strategy
    has nothing left to propose (``False``)."""
    while not budget.spent(len(books.outcome.trials), books.outcome.seconds):
        done = len(books.outcome.trials)
        remaining = budget.trials - done if budget.trials is not None else batch_size
        candidates = strategy.ask(min(batch_size, remaining))
        if not candidates:
            return False
        results = books.run(running, candidates, fidelity)
        for candidate, result in zip(candidates, results):
            strategy.tell(candidate, result)
    return True


def _run_brackets(
    strategy: SearchStrategy,
    scheduler: FidelityScheduler,
    books: _Books,
    running: TrialExecutor,
    budget: Budget,
) -> bool:
    """Successive-halving brackets until the budget is spent (``True``) or the strategy has
    nothing left to propose (``False``).

    A trial at ``f`` epochs counts ``f / search fidelity`` of a trial toward ``budget.trials``,
    so a trial budget means the same epochs with and without a scheduler; with the
    scheduler's warm start a promoted trial counts only its epochs beyond the last rung, and
    a proxy trial its epochs times the proxy's share of the full graph's work. A
    rung runs only if its epochs fit in what is left of the trial budget and the time budget
    is not spent; a rung started is finished, and the first that does not fit ends the search.
    A bracket that screens on the proxy starts only if its first full-graph rung fits too:
    proxy trials alone would choose nothing.

    The strategy hears each candidate once, when its bracket ends, with its result at the
    highest fidelity it reached (the result carries that fidelity). One tell per candidate is
    the ask/tell contract; the highest rung's score is the best estimate the search has; and a
    candidate stopped early scores lower, just as the screening judged it. A candidate that
    stopped on the proxy is told its proxy result moved below the bracket's full-graph ones
    (:func:`_below_full_graph`), since a smaller graph's scores are on another scale.
    """
    if not strategy.supports_batch:
        raise ConfigError(
            f"search.scheduler={scheduler.kind} asks whole brackets at once, but "
            f"{type(strategy).__name__} does not support batches; use search.scheduler=none"
        )

    def fits(epochs: float) -> bool:
        """Whether a rung of ``epochs`` more epochs stays within the budget."""
        trials = (books.epochs_asked + epochs) / scheduler.max_fidelity
        over = budget.trials is not None and trials > budget.trials + 1e-9
        return not over and not budget.spent(
            books.epochs_asked / scheduler.max_fidelity, books.outcome.seconds
        )

    _refuse_a_budget_below_one_rung(scheduler, budget)
    for bracket in scheduler.brackets():
        candidates = strategy.ask(bracket.size)
        if not candidates:
            return False
        keys = [books.space.key(c.point) for c in candidates]
        reached: dict[int, TrialResult] = {}
        alive = list(range(len(candidates)))
        charges = scheduler.charges(bracket)
        if not fits(scheduler.opening_cost(bracket)):
            return True  # the strategy keeps this bracket's candidates pending
        for rung, (fidelity, _) in enumerate(bracket.rungs):
            if not fits(charges[rung] * len(alive)):
                return True  # the strategy keeps this bracket's candidates pending
            results = books.run(running, [candidates[i] for i in alive], fidelity, charges[rung])
            reached.update(zip(alive, results))
            if rung + 1 < len(bracket.rungs):
                chosen = promote([keys[i] for i in alive], results, bracket.rungs[rung + 1][1])
                alive = [alive[j] for j in chosen]
            if not alive:
                break
        told = _below_full_graph(reached)
        for position, candidate in enumerate(candidates):
            strategy.tell(candidate, told[position])


def _refuse_a_budget_below_one_rung(scheduler: FidelityScheduler, budget: Budget) -> None:
    """A trial budget that cannot pay the first bracket's opening rungs would end the search
    before its first trial: refused, naming the budget it needs."""
    first = next(scheduler.brackets())
    epochs = scheduler.opening_cost(first)
    if budget.trials is not None and epochs > budget.trials * scheduler.max_fidelity + 1e-9:
        needed = math.ceil(epochs / scheduler.max_fidelity - 1e-9)
        rungs = first.rungs[: scheduler.opening(first)]
        what = " then ".join(f"{size} candidates at {describe_fidelity(f)}" for f, size in rungs)
        raise ConfigError(
            f"search.trials={budget.trials:g} buys {budget.trials * scheduler.max_fidelity:g} "
            f"epochs at search.fidelity={scheduler.max_fidelity}, but the first "
            f"{'rungs' if len(rungs) > 1 else 'rung'} of a {scheduler.kind} bracket cost"
            f"{'' if len(rungs) > 1 else 's'} {epochs:.3g} epochs' worth ({what}); set "
            f"search.trials to at least {needed}"
        )


def _below_full_graph(reached: dict[int, TrialResult]) -> dict[int, TrialResult]:
    """The results a strategy hears for a bracket: a candidate screened out on the proxy is
    told its proxy result with the objective shifted to ``worst full-graph objective - (best
    proxy objective - its own)``, so it ranks below every candidate the proxy promoted (as the
    screening judged) and the screened-out keep their order. The journal keeps the result as
    measured. Without a successful full-graph trial in the bracket nothing is shifted."""
    full = [r.objective for r in reached.values() if r.ok and not on_proxy(r.fidelity)]
    proxy = [r.objective for r in reached.values() if r.ok and on_proxy(r.fidelity)]
    if not full or not proxy:
        return reached
    floor, best = min(full), max(proxy)  # type: ignore[type-var]
    return {
        i: dataclasses.replace(r, objective=floor - (best - r.objective))  # type: ignore[operator]
        if r.ok and on_proxy(r.fidelity)
        else r
        for i, r in reached.items()
    }


class _Books:
    """The search's running books: trials so far, results by (point, fidelity), time spent."""

    def __init__(
        self,
        space: SearchSpace,
        journal: Journal,
        progress: SearchProgress | None,
        fields: Callable[[Candidate], dict[str, Any]] = lambda candidate: {},
    ) -> None:
        self.space, self.journal, self.progress = space, journal, progress
        self.fields = fields  # what the strategy has the journal record per trial
        self.outcome = SearchOutcome()
        self.known: dict[tuple[str, int | None], TrialResult] = {}
        self.epochs_asked = 0.0  # epochs of every trial, repeats included (the trial budget)

    def run(
        self,
        executor: TrialExecutor,
        candidates: list[Candidate],
        fidelity: int | None,
        charge: float | None = None,
    ) -> list[TrialResult]:
        """Each candidate's result at ``fidelity``, in order; the trials added to the books.

        Each trial counts ``charge`` epochs toward the trial budget (default: ``fidelity``).
        """
        charge = (fidelity or 0) if charge is None else charge
        first = len(self.outcome.trials)
        batch = _Batch(candidates, first, fidelity, self)
        results = batch.evaluate(executor)
        for candidate, key, result in zip(candidates, batch.keys, results):
            self._add(candidate, key, fidelity, result, charge)
        return results

    def parent(self, candidate: Candidate) -> Parent | None:
        """The trained trial ``candidate`` inherits weights from: the highest-fidelity
        successful trial of the candidate its strategy journals as ``parent``, if any."""
        parent_id = self.fields(candidate).get("parent")
        trials = [  # not a proxy trial's: its embedding tables are the subgraph's
            (c.point, r.fidelity)
            for c, r in self.outcome.trials
            if c.id == parent_id and r.ok and not on_proxy(r.fidelity)
        ]
        if not trials:
            return None
        point, fidelity = max(trials, key=lambda t: fidelity_order(t[1]))
        return Parent(point, fidelity)

    def read_rest(self) -> None:
        """Add the journal's trials that the search did not reach: those a resume with a
        smaller budget stopped before. Each finished trial counts toward the best found and
        the finalists, whatever the budget; the strategy has asked its last and hears none."""
        for _, candidate, key, result in self.journal.finished(since=len(self.outcome.trials)):
            self._add(
                candidate, key, result.fidelity, result, fidelity_epochs(result.fidelity) or 0
            )

    def _add(
        self,
        candidate: Candidate,
        key: str,
        fidelity: int | None,
        result: TrialResult,
        charge: float,
    ) -> None:
        if (key, fidelity) not in self.known:  # a repeat was not trained again
            self.outcome.seconds += float(result.cost.get("seconds", 0.0))
            trained = fidelity_epochs(fidelity) if on_proxy(fidelity) else charge
            self.outcome.epochs += int(result.cost.get("epochs", trained))
            self.known[key, fidelity] = result
        self.epochs_asked += charge
        self.outcome.trials.append((candidate, result))
        self.outcome.keys.append(key)


class _Batch:
    """One batch of trials at one fidelity: journal and repeat lookups, then new ones run."""

    def __init__(
        self, candidates: list[Candidate], first: int, fidelity: int | None, books: _Books
    ) -> None:
        self.candidates, self.first, self.fidelity = candidates, first, fidelity
        self.journal, self.progress, self.fields = books.journal, books.progress, books.fields
        self.parent = books.parent
        self.keys = [books.space.key(c.point) for c in candidates]
        # Results by key at this fidelity, growing with this batch's journal hits.
        self.known = {key: r for (key, f), r in books.known.items() if f == fidelity}
        self.best = books.outcome.best[1] if books.outcome.best else None
        self.results: dict[int, TrialResult] = {}  # by position in the batch

    def evaluate(self, executor: TrialExecutor) -> list[TrialResult]:
        """Every candidate's result, in candidate order; new ones journaled as they finish."""
        waiting: dict[str, list[int]] = {}  # key -> positions that wait for its training
        for position, key in enumerate(self.keys):
            recorded = self.journal.lookup(self.first + position, key, self.fidelity)
            if recorded is not None:
                self.known.setdefault(key, recorded)
                self._finish(position, recorded)
            elif key in self.known:
                self._record(position, self.known[key], wall_seconds=0.0)
            else:
                waiting.setdefault(key, []).append(position)
        firsts = [positions[0] for positions in waiting.values()]
        jobs = []
        for first in firsts:
            candidate = self.candidates[first]
            jobs.append(Job(first, candidate.point, self.fidelity, self.parent(candidate)))
        for job in jobs:
            if self.progress:
                candidate = self.candidates[job.tag]
                self.progress.start(candidate, self.fields(candidate))
        for finished in executor.run(jobs):
            result = finished.result
            if self.fidelity is not None and result.fidelity != self.fidelity:
                # Journal and strategies see what was asked, whatever the evaluate callable says.
                result = dataclasses.replace(result, fidelity=self.fidelity)
            for repeat, position in enumerate(waiting[self.keys[finished.tag]]):
                wall = 0.0 if repeat else finished.wall_seconds  # a repeat is not trained again
                self._record(position, result, wall_seconds=wall)
        missing = [c.id for i, c in enumerate(self.candidates) if i not in self.results]
        if missing:
            raise RuntimeError(f"the executor returned no result for trials {missing}")
        return [self.results[i] for i in range(len(self.candidates))]

    def _record(self, position: int, result: TrialResult, wall_seconds: float) -> None:
        candidate, key = self.candidates[position], self.keys[position]
        extra = self.fields(candidate)
        self.journal.record(
            self.first + position, candidate, key, result, wall_seconds=wall_seconds, **extra
        )
        self._finish(position, result)

    def _finish(self, position: int, result: TrialResult) -> None:
        self.results[position] = result
        if result.ok and _outranks(result, self.best):
            self.best = result
        if self.progress:
            candidate = self.candidates[position]
            self.progress.finish(candidate, result, self.best, self.fields(candidate))


def _outranks(result: TrialResult, best: TrialResult | None) -> bool:
    """Whether ``result`` is the new best so far: higher fidelity first (scores of fewer
    epochs or of the proxy are on another scale), then the objective."""
    if best is None:
        return True
    mine, theirs = fidelity_order(result.fidelity), fidelity_order(best.fidelity)
    return mine > theirs or (mine == theirs and result.objective > best.objective)  # type: ignore[operator]
