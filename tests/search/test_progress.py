"""One progress display through every phase: the trials, then each retrain's epochs."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from lgnas.data import prepare_dataset
from lgnas.search.executor import SerialExecutor
from lgnas.search.progress import SearchProgress
from lgnas.search.ray_executor import RayExecutor, RaySettings
from lgnas.training import fit
from lgnas.trials import Candidate, TrialResult


def console() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_the_trial_bar_counts_trials_and_estimates_what_is_left() -> None:
    screen = console()
    with SearchProgress(4, "ndcg@20", console=screen) as progress:
        for k in range(2):
            candidate = Candidate(k, {"op": "gcn"})
            progress.start(candidate)
            result = TrialResult(objective=0.1 * (k + 1), cost={"seconds": 30.0})
            progress.finish(candidate, result, result)
    text = screen.file.getvalue()
    assert "2/4 trials" in text and "best ndcg@20=0.2000" in text
    assert "~0:01:00 left" in text  # two trials of 30 s to go


def test_without_a_terminal_each_trial_and_retrain_is_logged(caplog) -> None:
    """A log file, CI or nohup gets no live display: plain lines say what finished."""
    terminal = Console(file=io.StringIO(), width=200, force_terminal=True)
    for screen, logged in ((console(), True), (terminal, False)):
        caplog.clear()
        with caplog.at_level("INFO", logger="lgnas.search.progress"):
            with SearchProgress(3, "logloss", console=screen) as progress:
                for k, utility in enumerate((-0.6, -0.5)):
                    result = TrialResult(objective=utility, cost={"seconds": 20.0})
                    progress.finish(Candidate(k, {}), result, result)
                failed = TrialResult.failure("diverged", cost={"seconds": 5.0})
                progress.finish(Candidate(2, {}), failed, result)
                progress.retrain("found-1", "val/logloss").done(40, "early stop")
                progress.reused("mf", {"epochs": 12})
                progress.ready("found-1-blended", {}, "built from the saved retrains")
        lines = [r.getMessage() for r in caplog.records]
        if not logged:
            assert lines == []
            continue
        assert lines == [
            "trial 0: logloss=0.6000 (1/3 trials, 20 s); best logloss=0.6000, ~0:00:40 left",
            "trial 1: logloss=0.5000 (2/3 trials, 20 s); best logloss=0.5000, ~0:00:20 left",
            "trial 2 failed: diverged (3/3 trials, 5 s); best logloss=0.5000",
            "retrain found-1: 40 epochs, best val logloss -, early stop",
            "retrain mf: saved result reused",
            "retrain found-1-blended: built from the saved retrains",
        ]


def test_a_staged_trial_shows_its_stage_and_the_layer_it_refines(caplog) -> None:
    """The strategy's fields (a staged search's) name where each trial is in the search."""
    screen = console()
    with caplog.at_level("INFO", logger="lgnas.search.progress"):
        with SearchProgress(2, "ndcg@20", console=screen) as progress:
            first, second = Candidate(0, {"dim": 64}), Candidate(1, {"dim": 64})
            result = TrialResult(objective=0.25, cost={"seconds": 10.0})
            progress.start(first, {"stage": 1, "parent": None})
            progress.finish(first, result, result, {"stage": 1, "parent": None})
            refined = {"stage": 2, "parent": 0, "layer": 2}
            progress.start(second, refined)
            shown = progress.progress.tasks[0].fields["info"]  # the bar's running trial
            assert shown.endswith("trial 1 (stage 2, layer 2 of trial 0): dim=64")
            progress.finish(second, result, result, refined)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("trial 0 (stage 1): ndcg@20=0.2500 (1/2 trials")
    assert lines[1].startswith("trial 1 (stage 2, layer 2 of trial 0): ndcg@20=0.2500")


def test_a_retrain_line_shows_the_model_its_epoch_and_best_score(train_job) -> None:
    job = train_job("dataset=synthetic", "model=mf", "trainer.max_epochs=2")
    split = prepare_dataset(job.dataset, seed=0)
    plain = fit(job.architecture, job.optim, split, job.train, test=False)
    screen = console()
    with SearchProgress(None, "ndcg@20", console=screen) as progress:
        watch = progress.retrain("found-1", "val/ndcg@20")
        shown = fit(job.architecture, job.optim, split, job.train, test=False, callbacks=[watch])
        watch.done(shown.epochs, "epoch cap (still improving)")  # as retrain_finalists does
    text = screen.file.getvalue()
    assert "found-1" in text and "epoch 2" in text and "epoch cap (still improving)" in text
    assert f"best val ndcg@20 {watch.best:.4f} (epoch {watch.best_epoch + 1})" in text
    # The best score shown is that of the best weights, which the fit keeps.
    assert watch.best == pytest.approx(plain.valid["val/ndcg@20"], rel=1e-6)
    # Watching changes nothing.
    assert shown.valid == plain.valid and shown.best_epoch == plain.best_epoch
    assert (shown.epochs, shown.stop_reason) == (plain.epochs, plain.stop_reason)


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        (None, "starting a local Ray"),
        ("ray://head:10001", "joining the Ray cluster at ray://head:10001"),
    ],
)
def test_the_bar_says_what_the_search_waits_on_before_its_first_trial(
    address: str | None, shown: str
) -> None:
    screen = console()
    executor = RayExecutor(RaySettings(address=address))
    with SearchProgress(4, "ndcg@20", console=screen) as progress:
        progress.phase(executor.starting)
    text = screen.file.getvalue()
    assert f"{shown}, then putting the data in its object store" in text and "0/4 trials" in text
    assert SerialExecutor.starting == ""  # nothing to wait on: the bar says nothing
