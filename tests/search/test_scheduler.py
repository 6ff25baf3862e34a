"""Successive halving and Hyperband: brackets, promotion, journal, budget, resume, errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lgnas.errors import ConfigError
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, run_search
from lgnas.search.scheduler import Bracket, FidelityScheduler, promote
from lgnas.search.settings import SearchSettings
from lgnas.space import load_space
from lgnas.strategies.random import RandomSearch
from lgnas.strategies.registry import make_strategy
from lgnas.trials import TrialResult

SHA = FidelityScheduler("sha", min_fidelity=2, max_fidelity=18, eta=3)
HYPERBAND = FidelityScheduler("hyperband", min_fidelity=2, max_fidelity=18, eta=3)


def quality(point: dict) -> float:
    return point["num_layers"] * 0.1 + (point["dim"] == 64) * 0.05 + point["lr"]


class FidelityObjective:
    """A deterministic score that grows with epochs and whose ranking changes with them.

    Points with 3 layers fail. Every (point, epochs) it trains is noted in ``trained``.
    """

    def __init__(self) -> None:
        self.trained: list[tuple[str, int | None]] = []

    def __call__(self, point: dict, fidelity: int | None = None) -> TrialResult:
        self.trained.append((json.dumps(point, sort_keys=True), fidelity))
        if point["num_layers"] == 3:
            return TrialResult.failure("three layers are not allowed here", cost={"seconds": 1.0})
        return TrialResult(objective=score(point, fidelity), cost={"seconds": 1.0})


def score(point: dict, fidelity: int) -> float:
    wobble = ((point["num_layers"] * 7 + (point["dim"] == 64) * 3 + fidelity) % 5) * 0.03
    return quality(point) * fidelity / (fidelity + 2) + wobble


def _search(folder: Path, name: str, scheduler: FidelityScheduler, trials: float, strategy=None):
    space = load_space("tiny")
    evaluate = FidelityObjective()
    journal = Journal(folder / "journal.jsonl", {"strategy": name, "scheduler": scheduler.kind})
    strategy = strategy or make_strategy(name, space, seed=0)
    outcome = run_search(
        strategy, space, evaluate, journal, Budget(trials=trials), scheduler=scheduler
    )
    return outcome, evaluate


def test_fidelity_ladder_and_brackets() -> None:
    assert SHA.ladder == (2, 6, 18)
    assert FidelityScheduler("sha", 2, 15, 3).ladder == (2, 6, 15)
    assert FidelityScheduler("sha", 18, 18, 3).ladder == (18,)
    assert FidelityScheduler("sha", 1, 8, 2).ladder == (1, 2, 4, 8)
    sha = SHA.brackets()
    assert [next(sha) for _ in range(2)] == [Bracket(((2, 9), (6, 3), (18, 1)))] * 2
    hyperband = HYPERBAND.brackets()
    assert [next(hyperband).rungs for _ in range(4)] == [
        ((2, 9), (6, 3), (18, 1)),
        ((6, 5), (18, 1)),
        ((18, 3),),
        ((2, 9), (6, 3), (18, 1)),  # and round again
    ]


def test_promote_keeps_the_best_distinct_points_and_never_a_failure() -> None:
    ok = [TrialResult(objective=v) for v in (0.1, 0.5, 0.3, 0.5, 0.9)]
    assert promote(["a", "b", "c", "d", "e"], ok, 2) == [1, 4]  # tie 0.5: the earlier one
    # A repeat of a promoted point goes with it without taking a place.
    assert promote(["a", "e", "c", "d", "e"], ok, 2) == [1, 3, 4]
    failed = [TrialResult.failure("x"), TrialResult(objective=0.2)]
    assert promote(["a", "b"], failed, 2) == [1]


@pytest.mark.parametrize("name", ["random", "genetic"])
def test_sha_trains_the_screened_best_at_each_rung(tmp_path: Path, name: str) -> None:
    outcome, evaluate = _search(tmp_path, name, SHA, trials=6)  # two brackets of 54 epochs
    assert outcome.epochs == 2 * (9 * 2 + 3 * 6 + 1 * 18)
    for bracket in range(2):
        rungs = outcome.trials[bracket * 13 : (bracket + 1) * 13]
        screened = rungs[:9]
        assert all(r.fidelity == 2 for _, r in screened)
        # The expected promotions, computed from the objective rather than the scheduler.
        ok = [c for c, r in screened if r.ok]
        by_key = {json.dumps(c.point, sort_keys=True): c for c in ok}
        best3 = sorted(by_key.values(), key=lambda c: -score(c.point, 2))[:3]
        assert {c.id for c, _ in rungs[9:12]} >= {c.id for c in best3}
        assert all(r.fidelity == 6 for _, r in rungs[9:12])
        top = max((c for c, _ in rungs[9:12]), key=lambda c: score(c.point, 6))
        assert rungs[12][0].id == top.id and rungs[12][1].fidelity == 18
        assert rungs[12][1].objective == score(top.point, 18)
    # No (point, epochs) is trained twice, and best compares top-rung trials only.
    assert len(evaluate.trained) == len(set(evaluate.trained))
    assert outcome.best[1].fidelity == 18


class RecordingRandom(RandomSearch):
    """The random strategy, noting what it is told."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.told: list[tuple[int, TrialResult]] = []

    def _tell(self, candidate, result) -> None:
        self.told.append((candidate.id, result))
        super()._tell(candidate, result)


def test_each_candidate_is_told_once_at_its_highest_fidelity(tmp_path: Path) -> None:
    strategy = RecordingRandom(load_space("tiny"), seed=0)
    outcome, _ = _search(tmp_path, "random", HYPERBAND, trials=8.7, strategy=strategy)
    highest: dict[int, TrialResult] = {}
    for candidate, result in outcome.trials:
        highest[candidate.id] = result  # rungs run lowest first
    assert [i for i, _ in strategy.told] == sorted(highest)  # every candidate, in order
    assert dict(strategy.told) == highest
    assert {r.fidelity for _, r in strategy.told} == {2, 6, 18}
    assert len(highest) == 9 + 5 + 3  # one whole Hyperband round (156 epochs)


def test_journal_records_every_trial_with_its_fidelity(tmp_path: Path) -> None:
    outcome, _ = _search(tmp_path, "genetic", HYPERBAND, trials=8.7)
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()[1:]
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == list(range(len(outcome.trials)))
    assert [(r["candidate"], r["fidelity"]) for r in records] == [
        (c.id, res.fidelity) for c, res in outcome.trials
    ]
    assert sorted({r["fidelity"] for r in records}) == [2, 6, 18]


@pytest.mark.parametrize("name", ["random", "genetic"])
@pytest.mark.parametrize("scheduler", [SHA, HYPERBAND], ids=["sha", "hyperband"])
def test_a_killed_search_resumes_exactly_and_retrains_nothing(
    tmp_path: Path, name: str, scheduler: FidelityScheduler
) -> None:
    whole, whole_eval = _search(tmp_path / "whole", name, scheduler, trials=15)
    # Killed mid-bracket: the budget ran out before a promotion.
    _, first = _search(tmp_path / "resumed", name, scheduler, trials=5.5)
    resumed, second = _search(tmp_path / "resumed", name, scheduler, trials=15)
    assert [(c, r) for c, r in resumed.trials] == [(c, r) for c, r in whole.trials]
    assert not set(first.trained) & set(second.trained)
    assert sorted(first.trained + second.trained) == sorted(whole_eval.trained)
    assert resumed.epochs == whole.epochs


def test_the_trial_budget_counts_full_fidelity_epochs(tmp_path: Path) -> None:
    outcome, _ = _search(tmp_path, "random", SHA, trials=4.9)
    # A rung runs only if it fits: 54 + 18 epochs <= 4.9 x 18 = 88.2 < 54 + 18 + 18,
    # so the second bracket stops after its first rung, well inside the budget.
    assert sum(r.fidelity for _, r in outcome.trials) == 72 == outcome.epochs
    assert [r.fidelity for _, r in outcome.trials[13:]] == [2] * 9


def test_a_warm_start_charges_only_the_epochs_beyond_the_last_rung(tmp_path: Path) -> None:
    warm = dataclasses.replace(SHA, warm_start=True)
    assert [warm.charges(b) for b in (warm.bracket(2), warm.bracket(0))] == [[2, 4, 12], [18]]
    assert SHA.charges(SHA.bracket(2)) == [2, 6, 18]
    outcome, evaluate = _search(tmp_path, "random", warm, trials=4.9)
    # A bracket now costs 9 x 2 + 3 x 4 + 1 x 12 = 42 epochs, so the same 88.2-epoch budget
    # runs two whole brackets (the cold search ran one and a rung) and stops before a third.
    assert outcome.epochs == 84
    assert [f for _, f in evaluate.trained].count(18) == 2
    assert len(outcome.trials) == 26


def test_a_budget_below_the_first_rung_is_refused_before_any_trial(tmp_path: Path) -> None:
    # SHA's first rung: 9 candidates x 2 epochs = 18 epochs = 1 trial of 18 epochs.
    with pytest.raises(ConfigError, match=r"costs 18 epochs' worth .* at least 1$"):
        _search(tmp_path, "random", SHA, trials=0.5)
    assert len(Journal(tmp_path / "journal.jsonl", {"strategy": "random", "scheduler": "sha"})) == 0
    outcome, _ = _search(tmp_path / "enough", "random", SHA, trials=1)
    assert len(outcome.trials) == 9


class OneAtATime(RandomSearch):
    supports_batch = False


def test_a_strategy_without_batches_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not support batches; use search.scheduler=none"):
        _search(tmp_path, "random", SHA, trials=3, strategy=OneAtATime(load_space("tiny")))


SETTINGS = {
    "trials": 10,
    "seconds": None,
    "batch_size": 1,
    "fidelity": 18,
    "top_k": 1,
    "objective": "ndcg@20",
    "scheduler": "sha",
    "min_fidelity": 2,
    "eta": 3,
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scheduler": "asha"}, r"search.scheduler='asha' is unknown; choose one of \['none'"),
        ({"eta": 1}, r"search.eta=1 must be a whole number >= 2"),
        ({"eta": 2.5}, r"search.eta=2.5 must be a whole number >= 2"),
        ({"min_fidelity": 0}, r"search.min_fidelity=0 must be a whole number >= 1"),
        ({"min_fidelity": None}, r"search.min_fidelity=None must be a whole number >= 1"),
        ({"min_fidelity": 20}, r"search.min_fidelity=20 exceeds search.fidelity=18"),
        ({"fidelity": None}, r"search.scheduler=sha needs search.fidelity"),
        ({"warm_start": "yes"}, r"search.warm_start='yes' must be true or false"),
    ],
)
def test_bad_scheduler_settings_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SearchSettings(**{**SETTINGS, **change})


def test_scheduler_none_is_no_scheduler() -> None:
    assert SearchSettings(**{**SETTINGS, "scheduler": "none"}).fidelity_scheduler is None
    assert SearchSettings(fidelity=15).fidelity_scheduler is None  # the key left out
