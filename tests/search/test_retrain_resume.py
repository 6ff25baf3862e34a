"""A final retrain killed midway continues from its last complete epoch, scoring what an
uninterrupted retrain scores."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
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
    # Removed with the result saved, unless kept for a raised cap to continue (below).
    assert (tmp_path / "killed" / PROGRESS).exists() == (resumed["stop_reason"] == "epoch_cap")


def test_a_retrain_stopped_at_the_epoch_cap_continues_when_the_cap_is_raised(
    train_job, tmp_path
) -> None:
    def job(cap: int):
        return train_job("dataset=synthetic", f"trainer.max_epochs={cap}", "eval.warmup=0",
                         "eval.patience=50")  # fmt: skip

    split = prepare_dataset(job(3).dataset, seed=0)
    arch = preset("lightgcn", dim=16, dropout=0.3)

    def final(cap, folder, progress=None):
        settings = job(cap)
        return retrain_module._final_result(
            "baseline", arch, settings.optim, split, settings.train, None, folder, "x", progress
        )

    folder = tmp_path / "run"
    capped = final(3, folder)
    assert (capped["epochs"], capped["stop_reason"]) == (3, "epoch_cap")
    assert (folder / PROGRESS).is_file()
    untrained = _Progress(_KillAt(0))  # any epoch trained would end in an error
    assert final(3, folder, untrained) == capped  # the same cap: the saved result
    continued, whole = final(6, folder), final(6, tmp_path / "whole")
    assert continued["epochs"] == whole["epochs"] == 6
    assert continued["valid"] == whole["valid"] != capped["valid"]
    assert continued["test"] == whole["test"]
    assert continued["best_epoch"] == whole["best_epoch"]
    assert final(6, folder, untrained) == continued
    assert final(4, folder, untrained) == continued  # a lower cap: reused as well


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
    kept = torch.load(checkpoint, weights_only=False)["state_dict"]  # at the cap: dim 16's
    assert kept["model.embedding.weight"].shape[1] == 16


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


def test_a_search_run_again_with_a_higher_cap_continues_its_capped_retrains(
    search_job, tmp_path
) -> None:
    from lgnas.search.run import search

    def job(cap: int, *more: str):
        common = ("+strategy=random", "dataset=synthetic", "search.trials=2", "search.fidelity=1")
        quick = ("eval.warmup=0", "eval.patience=50", "search.baselines=[mf]")
        return search_job(*common, *quick, f"trainer.max_epochs={cap}", *more)

    run = tmp_path / "run"
    capped = search(job(2), run, show_progress=False).finals
    assert {row["stop_reason"] for row in capped.values()} == {"epoch_cap"}
    trials = (run / "journal.jsonl").read_text()
    raised = search(job(4), run, show_progress=False).finals  # not refused as another search
    assert (run / "journal.jsonl").read_text() == trials  # no trial trained again
    whole = search(job(4), tmp_path / "whole", show_progress=False).finals
    for name, row in whole.items():
        assert raised[name]["epochs"] == row["epochs"] == 4
        assert raised[name]["valid"] == row["valid"] and raised[name]["test"] == row["test"]
    with pytest.raises(ConfigError, match=r"differs in \['eval'\]"):
        search(job(4, "eval.patience=40"), run, show_progress=False)
