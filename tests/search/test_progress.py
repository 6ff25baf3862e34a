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
