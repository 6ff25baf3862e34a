"""The click-through task end to end on ml-100k: composition, training, metrics, search."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import pytest
import torch
import yaml
from sklearn.metrics import log_loss, roc_auc_score

from lgnas.config import config_dir
from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.models.architecture import preset
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.run import search
from lgnas.training import fit
from lgnas.training.task import task_parts

CTR = ("task=ctr", "dataset=ml100k_ctr")


def test_task_ctr_sets_metrics_objective_space_and_baselines(search_job) -> None:
    job = search_job("+strategy=random", *CTR)
    assert job.train.task == "ctr"
    assert job.train.eval.logged == ("auc", "gauc", "logloss", "accuracy")
    assert (job.train.eval.monitor, job.search.objective) == ("auc", "auc")
    assert job.search.baselines == ("lr", "fm", "lightgcn", "ngcf")
    assert (job.search.top_k, job.search.ensemble) == (3, True)
    assert job.search.trials == 32 and search_job("+strategy=random").search.trials == 16
    assert search_job("+strategy=random", *CTR, "search.top_k=1").search.ensemble  # inert
    assert job.space["name"] == "ctr" and "mlp" in job.space["dimensions"]["score"]["choices"]
    assert job.identity()["task"] == "ctr"
    # The ranking default is untouched: the default space, no task in the journal identity.
    ranking = search_job("+strategy=random")
    default = yaml.safe_load((Path(config_dir()) / "search_space" / "default.yaml").read_text())
    assert ranking.train.task == "ranking" and dict(ranking.space) == default
    assert "task" not in ranking.identity()


def test_training_learns_and_the_logged_metrics_equal_scikit_learn(train_job) -> None:
    job = train_job(*CTR, "model=lightgcn", "trainer.max_epochs=3", "optim.lr=0.01")
    split = prepare_dataset(job.dataset, seed=0)
    result = fit(job.architecture, job.optim, split, job.train)
    assert set(result.test) == {f"test/{m}" for m in ("auc", "gauc", "logloss", "accuracy")}
    # Recompute every test metric from the trained model's logits with scikit-learn.
    module = result.module.eval()
    with torch.no_grad():
        user_rep, item_rep = module.model()
        users = torch.as_tensor(split.test.user)
        items = torch.as_tensor(split.test.item)
        logits = module.head(user_rep[users], item_rep[items], users, items).double().numpy()
    clicked = split.clicked(split.test)
    probability = 1 / (1 + np.exp(-logits))
    weighted = weight = 0.0
    for user in np.unique(split.test.user):
        mine = split.test.user == user
        if 0 < clicked[mine].sum() < mine.sum():
            weighted += mine.sum() * roc_auc_score(clicked[mine], logits[mine])
            weight += mine.sum()
    expected = {
        "auc": roc_auc_score(clicked, logits),
        "gauc": weighted / weight,
        "logloss": log_loss(clicked, probability),
        "accuracy": float(((probability > 0.5) == clicked).mean()),
    }
    for name, value in expected.items():
        assert result.test[f"test/{name}"] == pytest.approx(value, rel=1e-5), name
    assert result.test["test/auc"] > 0.74  # 3 epochs; clicks are 55% of the impressions


def test_a_model_on_impression_edges_propagates_over_every_training_impression(
    train_job,
) -> None:
    job = train_job(*CTR, "model=lightgcn", "+model.arch.edges=impressions")
    split = prepare_dataset(job.dataset, seed=0)
    _, module = task_parts(job.architecture, job.optim, split, job.train)
    assert module.model.adjacency.nnz == 2 * len(split.train)  # both directions of each row
    _, clicks_only = task_parts(preset("lightgcn"), job.optim, split, job.train)
    assert clicks_only.model.adjacency.nnz == 2 * int(split.clicked(split.train).sum())
    ranking = train_job("model=lightgcn", "+model.arch.edges=impressions")
    ranked = prepare_dataset(ranking.dataset, seed=0)
    with pytest.raises(ConfigError, match="'edges': 'impressions' is for task=ctr"):
        task_parts(ranking.architecture, ranking.optim, ranked, ranking.train)


class _ValidationLog(L.Callback):
    def __init__(self) -> None:
        self.values: list[float] = []

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.state.fn == "fit":
            self.values.append(float(trainer.callback_metrics["val/logloss"]))


def test_a_logloss_monitor_keeps_the_epoch_of_the_lowest_logloss(train_job) -> None:
    job = train_job(*CTR, "model=fm", "trainer.max_epochs=6", "optim.lr=0.05",
                    "eval.monitor=logloss")  # fmt: skip
    split = prepare_dataset(job.dataset, seed=0)
    seen = _ValidationLog()
    result = fit(job.architecture, job.optim, split, job.train, test=False, callbacks=[seen])
    assert len(seen.values) == 6 and seen.values != sorted(seen.values, reverse=True)
    assert result.best_epoch == int(np.argmin(seen.values))
    assert result.valid["val/logloss"] == pytest.approx(min(seen.values), rel=1e-6)


def test_a_trial_maximises_the_negated_logloss_and_refuses_ranking_on_labels(search_job) -> None:
    logloss = ("search.objective=logloss", "eval.monitor=logloss")
    job = search_job("+strategy=random", *CTR, *logloss, "search.objectives=[-logloss,-parameters]")
    assert [o.spec for o in job.search.objective_list] == ["-logloss", "-parameters"]
    split = prepare_dataset(job.dataset, seed=0)
    evaluate = TrialEvaluator(job.optim, job.trial_settings, split, "logloss")
    point = {"num_layers": 1, "op": ["lightgcn"], "combine": "mean", "dim": 16, "score": "mlp"}
    result = evaluate(point, fidelity=1)
    assert result.ok and result.objective == -result.metrics["val/logloss"]
    ranking = search_job("+strategy=random", "dataset=ml100k_ctr")
    failed = TrialEvaluator(ranking.optim, ranking.trial_settings, split, "ndcg@20")(point, 1)
    assert not failed.ok and "labelled impressions" in failed.error


def test_a_search_averages_its_retrained_found_models_chosen_on_validation(
    search_job, tmp_path
) -> None:
    quick = ("search.trials=3", "search.fidelity=1", "trainer.max_epochs=3", "eval.warmup=0")
    common = ("+strategy=random", *CTR, *quick, "search.baselines=[lr]", "search.top_k=3")
    job = search_job(*common, "search.ensemble=true")
    run = search(job, tmp_path, show_progress=False)
    found = {n: row for n, row in run.finals.items() if n.removesuffix("ensemble")[-1:].isdigit()}
    ensemble = run.finals["found-ensemble"]
    assert len(found) == 3 and ensemble["kind"] == "found" and "error" not in ensemble
    best_single = max(row["valid"]["val/auc"] for row in found.values())
    assert ensemble["valid"]["val/auc"] >= best_single - 1e-12
    assert ensemble["epochs"] == sum(row["epochs"] for row in found.values())
    # The answer is the better on validation, its recipe the one best_architecture.yaml holds.
    answer = next(iter(run.finals))
    assert run.finals[answer]["valid"]["val/auc"] == max(
        row["valid"]["val/auc"] for row in run.finals.values()
    )
    best = yaml.safe_load((tmp_path / "best_architecture.yaml").read_text())["arch"]
    assert (best.get("family") == "ensemble") == (answer == "found-ensemble")
    folder = tmp_path / "final" / "found-ensemble"
    chosen = yaml.safe_load((folder / "architecture.yaml").read_text())
    members = chosen["arch"]["members"]
    assert sorted(member["name"] for member in members) == sorted(found)  # lr is no member
    assert sum(chosen["arch"]["weight"]) == pytest.approx(1)
    # Resumed, the saved ensemble is reused, not recomputed.
    weights = folder / "model.pt"
    weights.write_bytes(b"kept")
    assert search(job, tmp_path, show_progress=False).finals["found-ensemble"] == ensemble
    assert weights.read_bytes() == b"kept"
    # With the baselines as candidates, lr joins the members; nothing trains again.
    wider = search_job(*common, "search.ensemble=true", "search.ensemble_baselines=true")
    again = search(wider, tmp_path, show_progress=False)
    assert {n: r for n, r in again.finals.items() if n != "found-ensemble"} == {
        n: r for n, r in run.finals.items() if n != "found-ensemble"
    }
    members = yaml.safe_load((folder / "architecture.yaml").read_text())["arch"]["members"]
    assert sorted(member["name"] for member in members) == sorted([*found, "lr"])
    best_member = max(r["valid"]["val/auc"] for n, r in again.finals.items() if n != folder.name)
    assert again.finals["found-ensemble"]["valid"]["val/auc"] >= best_member - 1e-12


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("search.ensemble=true", "search.top_k=3"), "averages click probabilities"),
    ],
)
def test_an_ensemble_the_search_cannot_make_is_refused(search_job, overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        search_job("+strategy=random", *overrides)
