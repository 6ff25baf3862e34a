"""Click-through models averaged: greedy weights chosen on validation, the test scored once,
its metrics equal to scikit-learn's on the weighted mean of the members' logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss, roc_auc_score

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.models.architecture import preset
from lgnas.models.ensemble import Ensemble
from lgnas.models.families import model_from_dict
from lgnas.models.optim import Optim
from lgnas.training import fit
from lgnas.training.ensemble import greedy_weights
from lgnas.training.result import save_result
from lgnas.training.saved import saved_scorer

CTR = ("task=ctr", "dataset=ml100k_ctr", "trainer.max_epochs=2", "eval.warmup=0")


def _auc_utility(labels: np.ndarray):
    return lambda mean: roc_auc_score(labels, mean.numpy())


def test_greedy_selection_starts_from_the_best_member_and_keeps_its_best_round() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    # Three noisy views of the labels, the second the least noisy.
    logits = torch.tensor(
        np.stack([labels + rng.normal(0, s, 400) for s in (1.5, 1.0, 1.6)]), dtype=torch.float64
    )
    utility = _auc_utility(labels)
    rounds = greedy_weights(logits, utility, rounds=6)
    singles = [utility(member) for member in logits]
    assert rounds[0] == ((0.0, 1.0, 0.0), pytest.approx(max(singles)))
    for weight, value in rounds:
        assert sum(weight) == pytest.approx(1.0) and min(weight) >= 0
        assert value == pytest.approx(utility(torch.tensor(weight, dtype=torch.float64) @ logits))
    best_weight, best_value = max(rounds, key=lambda r: r[1])
    # Independent noise: averaging beats the best member on these labels.
    assert best_value > max(singles) and sum(w > 0 for w in best_weight) >= 2
    # A member that repeats another adds nothing a tie would prefer over the earlier one.
    twin = torch.stack([logits[1], logits[1]])
    assert max(greedy_weights(twin, utility, rounds=3), key=lambda r: r[1])[0] == (1.0, 0.0)


def test_an_ensemble_trains_its_members_and_tests_their_weighted_mean(train_job, tmp_path):
    job = train_job(*CTR, "model=lightgcn", "optim.lr=0.01")
    split = prepare_dataset(job.dataset, seed=0)
    members = (
        (preset("lightgcn", dim=16), Optim(lr=0.01)),
        (preset("mf", dim=16, score="mlp"), Optim(lr=0.005)),
    )
    result = fit(Ensemble(members), job.optim, split, job.train)
    chosen = result.architecture
    assert isinstance(chosen, Ensemble) and sum(chosen.weight) == pytest.approx(1.0)
    assert result.stop_reason == "ensemble" and result.epochs == 4  # two members, 2 epochs each
    ensemble = result.module.model

    def logits(part) -> np.ndarray:
        users, items = torch.as_tensor(part.user), torch.as_tensor(part.item)
        rows = []
        for module in ensemble.members:
            with torch.no_grad():
                user_rep, item_rep = module.model()
                rows.append(module.head(user_rep[users], item_rep[items], users, items).numpy())
        return np.stack(rows).astype(np.float64)

    valid, test = logits(split.valid), logits(split.test)
    weight = np.asarray(chosen.weight)
    clicked = split.clicked(split.test)
    mean = weight @ test
    assert result.test["test/auc"] == pytest.approx(roc_auc_score(clicked, mean), rel=1e-9)
    assert result.test["test/logloss"] == pytest.approx(
        log_loss(clicked, 1 / (1 + np.exp(-mean))), rel=1e-9
    )
    # Chosen on validation: never below either member there.
    val_clicked = split.clicked(split.valid)
    singles = [roc_auc_score(val_clicked, member) for member in valid]
    assert result.valid["val/auc"] >= max(singles) - 1e-12
    assert result.valid["val/auc"] == pytest.approx(roc_auc_score(val_clicked, weight @ valid))
    # Saved and read back as a recipe; a ranking service refuses it.
    save_result(result, tmp_path, job.optim)
    saved = torch.load(tmp_path / "model.pt", weights_only=True)
    assert model_from_dict(saved["architecture"]) == chosen
    with pytest.raises(ConfigError, match="predicts clicks of"):
        saved_scorer(tmp_path / "model.pt", split)


def test_fixed_weights_are_kept_and_bad_ensembles_are_refused(train_job) -> None:
    members = ((preset("mf", dim=8), Optim()), (preset("lightgcn", dim=8), Optim()))
    fixed = Ensemble.from_dict({"members": [{"arch": a.to_dict()} for a, _ in members]})
    assert fixed.weight is None and fixed.members == members
    with pytest.raises(ConfigError, match="give at least two"):
        Ensemble(members[:1])
    with pytest.raises(ConfigError, match="summing to 1"):
        Ensemble(members, (0.5, 0.6))
    named = Ensemble(members, (0.5, 0.5), ("found-1", "lightgcn"))
    assert model_from_dict(named.to_dict()) == named
    with pytest.raises(ConfigError, match="give all 2 members a name"):
        Ensemble(members, None, ("found-1",))
    with pytest.raises(ConfigError, match="unknown ensemble key"):
        model_from_dict({"family": "ensemble", "members": [], "weights": [1]})
    job = train_job("model=lightgcn", "trainer.max_epochs=1")
    split = prepare_dataset(job.dataset, seed=0)
    with pytest.raises(ConfigError, match="an ensemble averages click logits"):
        fit(Ensemble(members, (0.5, 0.5)), job.optim, split, job.train)
