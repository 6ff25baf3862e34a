"""A final retrain killed midway continues from its last complete epoch, scoring what an
uninterrupted retrain scores."""

from __future__ import annotations

import lightning as L
import pytest

from lgnas.data import prepare_dataset
from lgnas.models.architecture import preset
from lgnas.search import retrain as retrain_module
from lgnas.search.retrain import PROGRESS, REQUEST
from lgnas.training import fit
from lgnas.training.result import SUMMARY


class _Killed(Exception):
    pass


class _KillAt(L.Callback):
    """Ends the training at the start of epoch ``epoch``, as a killed process would."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            raise _Killed(f"killed at epoch {self.epoch}")

    def done(self, *args) -> None:  # what the search's progress line is told
        pass


class _Progress:
    """The search's progress display, reduced to the line a retrain gets."""

    def __init__(self, line: L.Callback) -> None:
        self.line = line

    def retrain(self, name: str, monitor: str) -> L.Callback:
        return self.line

    def reused(self, name: str, summary: dict) -> None:
        pass


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_a_retrain_killed_midway_resumes_and_ends_as_an_uninterrupted_one(
    train_job, tmp_path, dropout
) -> None:
    job = train_job("dataset=synthetic", "trainer.max_epochs=5", "eval.warmup=0")
    split = prepare_dataset(job.dataset, seed=0)
    arch = preset("lightgcn", dim=16, dropout=dropout)  # dropout: torch's random state too

    def final(folder, progress=None):
        return retrain_module._final_result(
            "found", arch, job.optim, split, job.train, None, folder, "found-1", progress
        )

    whole = final(tmp_path / "whole")
    killed = final(tmp_path / "killed", _Progress(_KillAt(3)))
    assert "_Killed" in killed["error"]
    assert (tmp_path / "killed" / PROGRESS).is_file()  # three complete epochs kept
    resumed = final(tmp_path / "killed")
    assert "error" not in resumed, resumed
    assert resumed["epochs"] == whole["epochs"] == 5
    assert resumed["valid"] == whole["valid"] and resumed["test"] == whole["test"]
    assert resumed["best_epoch"] == whole["best_epoch"]
    assert not (tmp_path / "killed" / PROGRESS).exists()  # removed with the result saved


def test_another_models_progress_is_not_continued(train_job, tmp_path) -> None:
    job = train_job("dataset=synthetic", "trainer.max_epochs=3", "eval.warmup=0")
    split = prepare_dataset(job.dataset, seed=0)
    checkpoint = tmp_path / PROGRESS
    fit(preset("mf", dim=8), job.optim, split, job.train, checkpoint_to=checkpoint)
    (tmp_path / REQUEST).write_text("arch: {num_layers: 0, dim: 8}\n")
    row = retrain_module._final_result(
        "found", preset("mf", dim=16), job.optim, split, job.train, None, tmp_path, "x", None
    )
    assert "error" not in row and row["epochs"] == 3  # trained afresh, not from dim 8's state
    assert not checkpoint.exists()


def test_a_result_saved_for_another_model_never_passes_for_the_one_asked(
    train_job, tmp_path
) -> None:
    job = train_job("dataset=synthetic", "trainer.max_epochs=3", "eval.warmup=0")
    split = prepare_dataset(job.dataset, seed=0)

    def final(arch, folder, progress=None):
        return retrain_module._final_result(
            "found", arch, job.optim, split, job.train, None, folder, "found-1", progress
        )

    small, large = preset("mf", dim=8), preset("mf", dim=16)
    saved = final(small, tmp_path / "asked")
    assert "error" not in saved and (tmp_path / "asked" / SUMMARY).is_file()
    # Asked for another model, killed before its first epoch ends: dim 8's result is no
    # longer complete, so the next start trains dim 16 instead of reusing it.
    assert "_Killed" in final(large, tmp_path / "asked", _Progress(_KillAt(0)))["error"]
    assert not (tmp_path / "asked" / SUMMARY).exists()
    again, whole = final(large, tmp_path / "asked"), final(large, tmp_path / "whole")
    assert again["valid"] == whole["valid"] != saved["valid"]
    assert again["test"] == whole["test"]
