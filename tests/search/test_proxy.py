"""Proxy screening: a scheduler rung on a seeded user sample before the full graph."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, run_search
from lgnas.search.proxy import prepare_proxy, proxy_dataset, proxy_share
from lgnas.search.run import search
from lgnas.search.scheduler import FidelityScheduler
from lgnas.search.settings import SearchSettings
from lgnas.space import load_space
from lgnas.strategies.random import RandomSearch
from lgnas.trials import (
    TrialResult,
    describe_fidelity,
    fidelity_epochs,
    on_proxy,
    proxy_fidelity,
    trial_folder,
)

PROXY = FidelityScheduler(
    "sha", min_fidelity=2, max_fidelity=18, eta=3, proxy_epochs=4, proxy_share=0.25
)


def test_a_proxy_fidelity_is_negative_epochs_below_every_full_graph_one() -> None:
    assert proxy_fidelity(3) == -3 and on_proxy(-3) and not on_proxy(3) and not on_proxy(None)
    assert fidelity_epochs(-3) == fidelity_epochs(3) == 3 and fidelity_epochs(None) is None
    assert describe_fidelity(-1) == "1 epoch on the proxy"
    assert describe_fidelity(6) == "6 epochs" and describe_fidelity(None) == "full training"
    point = {"dim": 8}
    names = {trial_folder(point, f) for f in (None, 3, -3)}
    assert len(names) == 3 and trial_folder(point, -3).endswith("-p3")


def test_screening_brackets_start_on_the_proxy_with_eta_times_the_candidates() -> None:
    assert PROXY.bracket(2).rungs == ((-4, 27), (2, 9), (6, 3), (18, 1))
    assert PROXY.charges(PROXY.bracket(2)) == [1.0, 2, 6, 18]  # 4 proxy epochs x 0.25
    warm = dataclasses.replace(PROXY, warm_start=True)
    assert warm.charges(warm.bracket(2)) == [1.0, 2, 4, 12]  # the proxy is not continued
    hyperband = dataclasses.replace(PROXY, kind="hyperband")
    assert hyperband.bracket(1).rungs == ((-4, 15), (6, 5), (18, 1))
    assert hyperband.bracket(0).rungs == ((18, 3),)  # no screening, no proxy: the hedge
    with pytest.raises(ConfigError, match="search.proxy_epochs=0 must be a whole number"):
        dataclasses.replace(PROXY, proxy_epochs=0)


def quality(point: dict) -> float:
    return point["num_layers"] * 0.1 + (point["dim"] == 64) * 0.05 + point["lr"]


class ProxyObjective:
    """Full-graph scores grow with epochs; proxy scores are on another, higher scale and
    rank points by a different (correlated) quality. Notes every (point, fidelity)."""

    def __init__(self) -> None:
        self.trained: list[tuple[str, int | None]] = []

    def __call__(self, point: dict, fidelity: int | None = None) -> TrialResult:
        self.trained.append((json.dumps(point, sort_keys=True), fidelity))
        if on_proxy(fidelity):
            return TrialResult(objective=5 + proxy_score(point), cost={"seconds": 0.5})
        return TrialResult(objective=quality(point) * fidelity / (fidelity + 2))


def proxy_score(point: dict) -> float:
    return quality(point) + (point["dim"] == 32) * 0.07


class Recording(RandomSearch):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.told: dict[int, TrialResult] = {}

    def _tell(self, candidate, result) -> None:
        self.told[candidate.id] = result
        super()._tell(candidate, result)


def _search(folder: Path, trials: float, scheduler: FidelityScheduler = PROXY):
    space = load_space("tiny")
    strategy, evaluate = Recording(space, seed=0), ProxyObjective()
    journal = Journal(folder / "journal.jsonl", {"proxy": 4})
    outcome = run_search(
        strategy, space, evaluate, journal, Budget(trials=trials), scheduler=scheduler
    )
    return outcome, evaluate, strategy


def test_the_proxy_promotes_its_best_to_the_full_graph(tmp_path: Path) -> None:
    outcome, evaluate, strategy = _search(
        tmp_path, trials=5
    )  # a bracket: 27 x 1 + 9 x 2 + 3 x 6 + 18 = 81 epochs
    assert len(outcome.trials) == 27 + 9 + 3 + 1
    screened = outcome.trials[:27]
    assert all(r.fidelity == -4 for _, r in screened)
    best9 = sorted(screened, key=lambda t: -t[1].objective)[:9]
    assert {c.id for c, _ in outcome.trials[27:36]} == {c.id for c, _ in best9}
    assert [r.fidelity for _, r in outcome.trials[27:]] == [2] * 9 + [6] * 3 + [18]
    # The best compares full-graph trials only, though proxy scores are higher.
    assert outcome.best[1].fidelity == 18
    assert outcome.epochs == 27 * 4 + 9 * 2 + 3 * 6 + 18  # epochs trained, on either graph
    assert len(evaluate.trained) == len(set(evaluate.trained))


class BestShown:
    """Stands in for the progress display: keeps the best each finished trial is shown with."""

    def __init__(self) -> None:
        self.shown: list[TrialResult] = []

    def start(self, candidate, fields) -> None:
        pass

    def finish(self, candidate, result, best, fields) -> None:
        self.shown.append(best)


def test_the_best_shown_never_falls_back_to_a_lower_fidelity(tmp_path: Path) -> None:
    space, shown = load_space("tiny"), BestShown()
    journal = Journal(tmp_path / "journal.jsonl", {"proxy": 4})
    run_search(  # two brackets: the second's proxy scores are higher than any full-graph one
        RandomSearch(space, seed=0),
        space,
        ProxyObjective(),
        journal,
        Budget(trials=9),
        scheduler=PROXY,
        progress=shown,
    )
    levels = [math.inf if b.fidelity is None else b.fidelity for b in shown.shown]
    assert levels == sorted(levels) and levels[-1] == 18 and len(levels) == 80
    full = [b.objective for b in shown.shown if b.fidelity == 18]
    assert full == sorted(full)


def test_the_screened_out_are_told_below_the_promoted_in_their_proxy_order(
    tmp_path: Path,
) -> None:
    outcome, _, strategy = _search(tmp_path, trials=5)
    proxy = {c.id: r for c, r in outcome.trials if on_proxy(r.fidelity)}
    full = {c.id for c, r in outcome.trials if not on_proxy(r.fidelity)}
    out = [i for i in proxy if i not in full]
    assert len(strategy.told) == 27 and len(out) == 18
    floor = min(strategy.told[i].objective for i in full)
    assert all(strategy.told[i].objective <= floor for i in out)
    by_told = sorted(out, key=lambda i: strategy.told[i].objective)
    assert by_told == sorted(out, key=lambda i: proxy[i].objective)
    assert all(strategy.told[i].fidelity == -4 for i in out)
    # The journal keeps what was measured.
    records = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    measured = {r["candidate"]: r["objective"] for r in records[1:] if r["fidelity"] == -4}
    assert measured == {i: r.objective for i, r in proxy.items()}


def test_a_search_with_a_proxy_resumes_exactly(tmp_path: Path) -> None:
    whole, whole_eval, _ = _search(tmp_path / "whole", trials=9)
    # 3 x 18 = 54 epochs pay the proxy rung (27) and the first full-graph rung (18), not more.
    _, first, _ = _search(tmp_path / "resumed", trials=3)
    assert {f for _, f in first.trained} == {-4, 2}
    resumed, second, _ = _search(tmp_path / "resumed", trials=9)
    assert resumed.trials == whole.trials
    assert not set(first.trained) & set(second.trained)
    assert sorted(first.trained + second.trained) == sorted(whole_eval.trained)


def test_a_bracket_starts_its_proxy_rung_only_if_its_first_full_graph_rung_fits(
    tmp_path: Path,
) -> None:
    # 6 x 18 = 108 epochs: the first bracket takes 81; the 27 left would pay a second
    # bracket's proxy rung (27 x 4 x 0.25) but not the 9 x 2 epochs its screening feeds.
    outcome, evaluate, strategy = _search(tmp_path, trials=6)
    assert len(outcome.trials) == 27 + 9 + 3 + 1 and outcome.epochs == 162
    assert len(evaluate.trained) == 40 and len(strategy.told) == 27
    # One more trial's epochs (126) pays both, and the second bracket screens.
    more, _, _ = _search(tmp_path / "more", trials=7)
    assert [r.fidelity for _, r in more.trials[40:]] == [-4] * 27 + [2] * 9


def test_a_budget_below_the_proxy_and_its_first_full_graph_rung_is_refused(
    tmp_path: Path,
) -> None:
    message = (
        r"search.trials=2 buys 36 epochs at search.fidelity=18, but the first rungs of a sha "
        r"bracket cost 45 epochs' worth \(27 candidates at 4 epochs on the proxy then 9 "
        r"candidates at 2 epochs\); set search.trials to at least 3$"
    )
    with pytest.raises(ConfigError, match=message):
        _search(tmp_path, trials=2)
    assert len(Journal(tmp_path / "journal.jsonl", {"proxy": 4})) == 0


SETTINGS = {"scheduler": "sha", "min_fidelity": 2, "fidelity": 18, "proxy_users": 100}


def test_proxy_settings_enter_the_scheduler_and_the_identity() -> None:
    settings = SearchSettings(**SETTINGS, proxy_epochs=5)
    assert settings.fidelity_scheduler.proxy_epochs == 5
    assert settings.identity()["scheduler"]["proxy"] == {"users": 100, "kcore": 5, "epochs": 5}
    off = SearchSettings(**{**SETTINGS, "proxy_users": None})
    assert off.fidelity_scheduler.proxy_epochs is None
    assert "proxy" not in off.identity()["scheduler"]  # journals from before still resume


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"scheduler": "none"},
            r"search.proxy_users=100: the proxy screens .*search.scheduler=sha",
        ),
        ({"proxy_users": 0}, r"search.proxy_users=0 must be an integer >= 1 or null"),
        ({"proxy_epochs": 1.5}, r"search.proxy_epochs=1.5 must be an integer >= 1"),
        ({"proxy_kcore": -1}, r"search.proxy_kcore=-1 must be an integer >= 0"),
    ],
)
def test_bad_proxy_settings_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SearchSettings(**{**SETTINGS, **change})


def test_the_proxy_dataset_samples_users_and_refuses_one_not_smaller(search_job) -> None:
    job = search_job("dataset=gowalla_small", "+strategy=random")
    config = proxy_dataset(job.dataset, users=1000, kcore=5)
    assert config["subsample"] == {"users": 1000, "seed": 0}
    assert config["name"] == "gowalla_small-proxy" and config["kcore"] == 5
    assert proxy_dataset({**job.dataset, "kcore": 10}, 1000, kcore=5)["kcore"] == 10
    with pytest.raises(ConfigError, match=r"search.proxy_users=4000 is not below the 4000"):
        proxy_dataset(job.dataset, users=4000, kcore=5)


def test_gowallas_4000_user_proxy_is_gowalla_small(search_job) -> None:
    """The proxy whose rank correlation BENCHMARKS.md measures is the dataset it names."""
    proxy = proxy_dataset(search_job("dataset=gowalla", "+strategy=random").dataset, 4000, 5)
    small = dict(search_job("dataset=gowalla_small", "+strategy=random").dataset)
    assert {**proxy, "name": "gowalla_small"} == small


TINY = (
    "+strategy=random",
    "dataset=synthetic",
    "search_space=tiny",
    "search.prior=null",
    "search.baselines=[]",
    "search.blend=null",
    "search.scheduler=sha",
    "search.min_fidelity=1",
    "search.fidelity=3",
    "search.proxy_users=200",
    "search.proxy_epochs=1",
    "search.proxy_kcore=0",
    "threads=1",
)


@pytest.fixture(scope="module")
def splits(search_job):
    """The tiny search's full split and its 200-user proxy."""
    job = search_job(*TINY)
    return prepare_dataset(job.dataset, seed=0), prepare_proxy(job.dataset, 200, 0, seed=0)


def test_the_proxy_split_is_a_user_sample_whose_share_counts_its_work(search_job, splits) -> None:
    full, proxy = splits
    assert proxy.train.num_users == 200 < full.train.num_users
    assert proxy_share(proxy, full) == pytest.approx(len(proxy.train) / len(full.train))
    assert 0.3 < proxy_share(proxy, full) < 0.5
    with pytest.raises(ConfigError, match=r"search.proxy_users=900 is more than dataset"):
        prepare_proxy(search_job(*TINY).dataset, 900, kcore=0, seed=0)


def test_a_proxy_trial_trains_on_the_proxy_and_leaves_no_checkpoint(
    search_job, splits, tmp_path: Path
) -> None:
    full, proxy = splits
    job = search_job(*TINY)
    point = load_space("tiny").sample(np.random.default_rng(0))
    checkpoints = tmp_path / "checkpoints"
    evaluate = TrialEvaluator(
        job.optim, job.trial_settings, full, "ndcg@20", checkpoint_dir=checkpoints,
        full_fidelity=3, proxy_split=proxy,
    )  # fmt: skip
    screened = evaluate(point, fidelity=-1)
    assert screened.ok and screened.cost["epochs"] == 1 and not checkpoints.exists()
    low, top = evaluate(point, fidelity=1), evaluate(point, fidelity=3)
    assert screened.cost["parameters"] < low.cost["parameters"]  # the sample's tables
    assert "resumed_from" not in low.cost and top.cost["resumed_from"] == 1  # not the proxy's
    unset = TrialEvaluator(job.optim, job.trial_settings, full, "ndcg@20")(point, fidelity=-1)
    assert not unset.ok and "proxy_split" in unset.error


def test_a_real_search_screens_on_the_proxy(search_job, tmp_path: Path) -> None:
    # A bracket: 9 x 1 proxy epoch (share ~0.4) + 3 x 1 + 1 x 2 (warm) = ~8.6 of 9 epochs.
    run = search(search_job(*TINY, "search.trials=3"), tmp_path, show_progress=False)
    fidelities = [r.fidelity for _, r in run.outcome.trials]
    assert fidelities == [-1] * 9 + [1] * 3 + [3]
    screened = [c for c, r in run.outcome.trials[:9] if r.ok]
    assert screened and all((tmp_path / "trials" / trial_folder(c.point, -1)).is_dir()
                            for c in screened)  # fmt: skip
    assert run.outcome.best[1].fidelity == 3
    report = (tmp_path / "report.md").read_text()
    assert "9 at 1 epoch on the proxy" in report
    assert "screened 1 epoch on the proxy" in report
