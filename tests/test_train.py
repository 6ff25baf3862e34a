"""The single-training entry point, end to end on real data, through Hydra and as a function."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.models import Architecture
from lgnas.models.inherit import save_weights
from lgnas.training import fit, save_result
from lgnas.training.job import run_training


def test_short_training_on_ml100k_learns_and_writes_outputs(train_job, tmp_path: Path) -> None:
    job = train_job("model=lightgcn", "trainer.max_epochs=3", "optim.lr=0.01", "eval.warmup=50")
    result = run_training(job, tmp_path)
    # Popularity alone gives about 0.13 validation NDCG@20 here; three epochs must beat chance
    # by far and produce every metric at every cutoff.
    assert result.valid["val/ndcg@20"] > 0.12
    assert set(result.test) == {
        f"test/{m}@{k}" for m in ("recall", "ndcg", "precision", "hit", "mrr") for k in (10, 20)
    }
    assert result.epochs == 3 and result.best_epoch is not None
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["test"] == pytest.approx(result.test)
    saved = torch.load(tmp_path / "model.pt")
    assert Architecture.from_dict(saved["architecture"]) == result.architecture
    assert saved["state_dict"]["embedding.weight"].shape == (943 + 1682, 64)


def test_same_seed_gives_same_metrics(train_job) -> None:
    overrides = ["dataset=synthetic", "model=ngcf", "trainer.max_epochs=2"]
    first, second = run_training(train_job(*overrides)), run_training(train_job(*overrides))
    assert first.test == second.test
    other = run_training(train_job(*overrides, "seed=7"))
    assert other.test != first.test


def test_custom_architecture_trains(train_job) -> None:
    job = train_job(
        "dataset=synthetic",
        "model=custom",
        "model.arch.op=[gat,gin]",
        "trainer.max_epochs=1",
        "optim.loss=softmax",
        "optim.num_negatives=4",
    )
    result = run_training(job)
    assert result.architecture.op == ("gat", "gin")
    assert 0.0 <= result.test["test/ndcg@20"] <= 1.0


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "lgnas.train", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_command_line_run_prints_metrics_and_saves_them(data_dir: Path, tmp_path: Path) -> None:
    done = _cli(
        f"data_dir={data_dir}",
        "model=mf",
        "trainer.max_epochs=1",
        "trainer.enable_progress_bar=false",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "test:" in done.stdout and "ndcg@20=" in done.stdout
    assert (tmp_path / "run" / "metrics.json").is_file()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.preset=lightgcn2", "unknown model preset 'lightgcn2'"),
        ("+model.arch.op=transformer", "unknown value 'transformer'"),
        # (without fetch: ml100k would download its missing folder from GroupLens)
        ("dataset.fetch=null dataset.path=/nonexistent/ml-100k", "/nonexistent/ml-100k"),
        ("optim.loss=hinge", "unknown loss 'hinge'"),
    ],
)
def test_bad_input_exits_with_one_clear_line(
    override: str, message: str, data_dir: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    done = _cli(f"data_dir={data_dir}", *override.split(), f"hydra.run.dir={run}", cwd=tmp_path)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not run.exists()  # Hydra's run folder goes when nothing was written into it


def test_saved_architecture_file_trains_again(train_job, tmp_path: Path) -> None:
    base = ["dataset=synthetic", "trainer.max_epochs=1"]
    first = run_training(train_job(*base, "model=custom", "optim.lr=0.005"), tmp_path)
    saved = f"model.path={tmp_path / 'architecture.yaml'}"
    again = run_training(train_job(*base, "model=file", saved))
    assert again.architecture == first.architecture
    assert again.module.hparams.lr == 0.005


def test_missing_architecture_file_is_refused_clearly(train_job, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="architecture file not found"):
        train_job("dataset=synthetic", "model=file", f"model.path={tmp_path / 'nope.yaml'}")


def test_fit_records_why_training_stopped(train_job, tmp_path: Path) -> None:
    synthetic = ["dataset=synthetic", "model=mf", "eval.warmup=0"]
    capped = train_job(*synthetic, "trainer.max_epochs=3")
    split = prepare_dataset(capped.dataset, seed=0)
    result = fit(capped.architecture, capped.optim, split, capped.train, test=False)
    # The cap came with the best epoch among the last eval.patience=10: still improving.
    assert (result.stop_reason, result.epochs, result.still_improving) == ("epoch_cap", 3, True)

    steep = train_job(*synthetic, "trainer.max_epochs=40", "eval.patience=1", "optim.lr=0.5")
    result = fit(steep.architecture, steep.optim, split, steep.train, test=False)
    assert result.stop_reason == "early_stop" and result.still_improving is False
    assert result.epochs < 40 and result.epochs == result.best_epoch + 2  # one epoch of patience

    timed = fit(capped.architecture, capped.optim, split, capped.train, max_seconds=0.01)
    assert timed.stop_reason == "time_limit" and timed.epochs < 3
    save_result(timed, tmp_path, capped.optim)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["stop_reason"] == "time_limit" and saved["still_improving"] is True


def test_the_warm_up_holds_patience_for_graph_models_only(train_job) -> None:
    """The same steep recipe that stops a matrix factorisation early cannot stop a LightGCN
    before ``eval.warmup`` epochs: only propagation needs the warm-up."""
    steep = ["dataset=synthetic", "trainer.max_epochs=30", "eval.patience=1", "optim.lr=0.5"]
    mf = train_job(*steep, "model=mf", "eval.warmup=20")
    split = prepare_dataset(mf.dataset, seed=0)
    result = fit(mf.architecture, mf.optim, split, mf.train, test=False)
    assert result.stop_reason == "early_stop" and result.epochs < 20
    graph = train_job(*steep, "model=lightgcn", "model.arch.num_layers=1", "eval.warmup=20")
    result = fit(graph.architecture, graph.optim, split, graph.train, test=False)
    assert result.epochs > 20  # no stop during the warm-up, whatever the scores did


def test_a_fine_tune_has_no_warm_up(train_job, tmp_path) -> None:
    """Trained weights start past propagation's early dip: a LightGCN continuing from them
    counts patience from its first epoch, as a staged search's stage 3 does."""
    steep = ["dataset=synthetic", "trainer.max_epochs=30", "eval.patience=1", "optim.lr=0.5"]
    graph = train_job(*steep, "model=lightgcn", "model.arch.num_layers=1", "eval.warmup=20")
    split = prepare_dataset(graph.dataset, seed=0)
    trained = fit(graph.architecture, graph.optim, split, graph.train, test=False)
    save_weights(trained.module.model, tmp_path / "start.weights.pt")
    tuned = fit(
        graph.architecture, graph.optim, split, graph.train, test=False,
        init_from=tmp_path / "start.weights.pt",
    )  # fmt: skip
    assert tuned.inherited and tuned.stop_reason == "early_stop" and tuned.epochs < 20


def test_f1_and_auc_are_evaluated_and_auc_can_drive_early_stopping(train_job) -> None:
    from sklearn.metrics import roc_auc_score

    job = train_job(
        "model=mf", "trainer.max_epochs=2", "optim.lr=0.01",
        "eval.metrics=[ndcg,f1,auc]", "eval.monitor=auc",
    )  # fmt: skip
    split = prepare_dataset(job.dataset, seed=0)
    result = fit(job.architecture, job.optim, split, job.train, test=False)
    assert set(result.valid) == {"val/ndcg@10", "val/ndcg@20", "val/f1@10", "val/f1@20", "val/auc"}
    assert result.best_epoch is not None
    # The logged AUC is scikit-learn's per-user ROC AUC (ties one half), averaged over users,
    # of validation items against every item not seen in training.
    user_rep, item_rep = result.module.model()
    scores = (user_rep @ item_rep.T).detach().numpy()
    shown = np.ones(scores.shape, dtype=bool)
    shown[split.train.user, split.train.item] = False
    relevant = np.zeros(scores.shape, dtype=bool)
    relevant[split.valid.user, split.valid.item] = True
    per_user = [
        roc_auc_score(relevant[user, shown[user]], scores[user, shown[user]])
        for user in np.unique(split.valid.user)
    ]
    assert result.valid["val/auc"] == pytest.approx(sum(per_user) / len(per_user), rel=1e-5)
    assert result.valid["val/auc"] > 0.8
