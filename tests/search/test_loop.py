"""The search loop's budget, failure handling and resume, against the real strategies."""

from __future__ import annotations

from pathlib import Path

import pytest

from lgnas.search.executor import Finished, TrialExecutor
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, run_search
from lgnas.search.scheduler import FidelityScheduler
from lgnas.space import load_space
from lgnas.strategies.registry import make_strategy
from lgnas.trials import TrialResult


class CountingObjective:
    """A deterministic score of a tiny-space point; fails for points with 3 layers."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, point: dict, fidelity: int | None = None) -> TrialResult:
        self.calls += 1
        if point["num_layers"] == 3:
            return TrialResult.failure("three layers are not allowed here")
        score = point["num_layers"] * 0.1 + (point["dim"] == 64) * 0.05 + point["lr"]
        return TrialResult(objective=score, cost={"seconds": 1.0})


def _search(tmp_path: Path, name: str, trials: int, seed: int = 0, evaluate=None):
    space = load_space("tiny")
    evaluate = evaluate or CountingObjective()
    journal = Journal(tmp_path / f"{name}.jsonl", {"strategy": name, "seed": seed})
    strategy = make_strategy(name, space, seed=seed)
    outcome = run_search(strategy, space, evaluate, journal, Budget(trials=trials), batch_size=3)
    return outcome, evaluate


@pytest.mark.parametrize("name", ["random", "genetic", "pso", "rl"])
def test_budget_failures_and_best(tmp_path: Path, name: str) -> None:
    outcome, evaluate = _search(tmp_path, name, trials=12)
    assert len(outcome.trials) == 12
    assert [c.id for c, _ in outcome.trials] == list(range(12))
    failed = [r for c, r in outcome.trials if c.point["num_layers"] == 3]
    assert all(not r.ok and "three layers" in r.error for r in failed)
    best = max(r.objective for _, r in outcome.trials if r.ok)
    assert outcome.best[1].objective == best
    # A point proposed twice is trained once.
    assert evaluate.calls == len({str(sorted(c.point.items())) for c, _ in outcome.trials})


def test_time_budget_counts_trial_seconds(tmp_path: Path) -> None:
    space = load_space("tiny")
    journal = Journal(tmp_path / "j.jsonl", {"seed": 0})
    outcome = run_search(
        make_strategy("random", space, seed=0),
        space,
        CountingObjective(),
        journal,
        Budget(trials=None, seconds=5.0),
    )
    # Every successful trial reports 1 second; failed ones none.
    assert sum(r.ok for _, r in outcome.trials) == 5
    assert outcome.trials[-1][1].ok


@pytest.mark.parametrize("name", ["random", "genetic", "rl"])
def test_resume_reruns_nothing_and_ends_like_an_uninterrupted_search(
    tmp_path: Path, name: str
) -> None:
    whole, _ = _search(tmp_path / "whole", name, trials=10)
    _search(tmp_path / "resumed", name, trials=4)  # "killed" after four trials
    resumed, evaluate = _search(tmp_path / "resumed", name, trials=10)
    assert evaluate.calls <= 6  # only trials 5..10 are new (repeats reuse results)
    assert [(c.point, r) for c, r in resumed.trials] == [(c.point, r) for c, r in whole.trials]


class LastFirstExecutor(TrialExecutor):
    """Finishes each batch's jobs in reverse order, noting the journal's size after each."""

    def __init__(self, journal: Journal) -> None:
        self.journal, self.sizes = journal, []

    def start(self, evaluate) -> None:
        self.evaluate = evaluate

    def run(self, jobs):
        for job in reversed(jobs):
            yield Finished(job.tag, self.evaluate(job.point, job.fidelity), 0.0)
            self.sizes.append(len(self.journal))  # runs once the loop has taken the result


@pytest.mark.parametrize("name", ["genetic", "rl"])
def test_results_in_any_order_give_the_serial_search(tmp_path: Path, name: str) -> None:
    serial, _ = _search(tmp_path / "serial", name, trials=12)
    space = load_space("tiny")
    journal = Journal(tmp_path / "any.jsonl", {"strategy": name, "seed": 0})
    executor = LastFirstExecutor(journal)
    outcome = run_search(
        make_strategy(name, space, seed=0),
        space,
        CountingObjective(),
        journal,
        Budget(trials=12),
        batch_size=3,
        executor=executor,
    )
    assert [(c.point, r) for c, r in outcome.trials] == [(c.point, r) for c, r in serial.trials]
    # Each result was in the journal before the next one was computed.
    assert executor.sizes == sorted(set(executor.sizes)) and len(executor.sizes) > 4


@pytest.mark.parametrize("scheduler", [None, FidelityScheduler("sha", 1, 3, eta=3)])
@pytest.mark.parametrize("budget", [Budget(trials=2), Budget(trials=None, seconds=1.5)])
def test_a_resume_with_a_smaller_budget_keeps_every_journaled_trial(
    tmp_path: Path, scheduler: FidelityScheduler | None, budget: Budget
) -> None:
    space = load_space("tiny")
    journal = Journal(tmp_path / "j.jsonl", {"seed": 0})

    def search(budget: Budget, evaluate: CountingObjective):
        strategy = make_strategy("random", space, seed=0)
        return run_search(
            strategy, space, evaluate, journal, budget, batch_size=3, scheduler=scheduler
        )

    whole = search(Budget(trials=12), CountingObjective())
    best = whole.best
    assert best is not None and best[0].id > 2  # a replay cut at the new budget misses it
    evaluate = CountingObjective()
    resumed = search(budget, evaluate)
    assert evaluate.calls == 0 and resumed.new == 0 and resumed.spent
    assert [(c.point, r) for c, r in resumed.trials] == [(c.point, r) for c, r in whole.trials]
    assert resumed.best == best and resumed.top(3) == whole.top(3)
    assert (resumed.seconds, resumed.epochs) == (whole.seconds, whole.epochs)
