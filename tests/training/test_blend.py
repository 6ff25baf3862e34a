"""A GNN blended with a graph filter: honest full ranking of the standardised sum, each
weight's validation metrics, the weight chosen on validation, the test scored once."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest
import torch

from lgnas.data.splits import train_and_valid
from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.blend import WEIGHTS, Blend, standardised
from lgnas.models.families import model_from_dict
from lgnas.models.filter_recommender import GraphFilterRecommender
from lgnas.models.graph_filter import GraphFilter, GridPoint
from lgnas.models.optim import Optim
from lgnas.models.warm_start import ResumableCheckpoint
from lgnas.training import TrainSettings, fit
from lgnas.training import task as task_module
from lgnas.training.blend import WEIGHT_FILE
from lgnas.training.result import save_result
from lgnas.training.saved import saved_scorer
from lgnas.training.task import retrain

K = 5
SETTINGS = TrainSettings(
    eval={
        "metrics": ["recall", "ndcg"],
        "ks": [K],
        "monitor": f"ndcg@{K}",
        "batch_size": 7,
        "warmup": 0,
        "patience": 3,
    },
    trainer={
        "max_epochs": 8,
        "logger": True,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "enable_checkpointing": False,
    },
)


def _z(scores: np.ndarray) -> np.ndarray:
    """Per-row standardisation with the sample standard deviation, in float64."""
    spread = scores.std(axis=1, ddof=1, keepdims=True)
    return (scores - scores.mean(axis=1, keepdims=True)) / np.where(spread > 0, spread, 1.0)


def test_each_weight_ranks_the_standardised_sum_as_brute_force_does(
    split, reference, tmp_path
) -> None:
    weights = [0.0, 0.3, 0.7, 1.0]
    graph_filter = GraphFilter(alpha=[0.0, 0.5], rank=4, sharpen=[0.0, 0.5])
    spec = Blend(Architecture(num_layers=1, dim=8), graph_filter, weight=weights)
    result = fit(spec, Optim(lr=0.05), split, SETTINGS, log_dir=tmp_path)

    chosen = result.architecture
    assert isinstance(chosen, Blend) and len(chosen.weight) == 1
    (point,) = chosen.filter.grid
    # Independently: the trained GNN's dot products and the filter's scores (the fit's SVD
    # again), each standardised per user in float64, then summed.
    with torch.no_grad():
        users, items = result.module.model.gnn()
    gnn = _z((users @ items.T).double().numpy())
    every_user = torch.arange(split.train.num_users)
    computed = GraphFilterRecommender([split.train], 4, seed=SETTINGS.seed)
    filtered = _z(computed.scores(every_user, *point).double().numpy())
    with (tmp_path / WEIGHT_FILE).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [float(row["weight"]) for row in rows] == weights
    expected = {}
    for row in rows:
        weight = float(row["weight"])
        blended = (1 - weight) * gnn + weight * filtered
        expected[weight] = reference(blended, [split.train], split.valid, prefix="val/")
        got = {key: float(row[key]) for key in expected[weight]}
        assert got == pytest.approx(expected[weight], abs=2e-6)
    # The chosen weight is the best on validation, and its metrics are the result's.
    monitor = f"val/ndcg@{K}"
    best = max(weights, key=lambda w: (expected[w][monitor], -w))
    assert chosen.weight == (best,)
    assert result.valid == pytest.approx(expected[best], abs=2e-6)
    blended = (1 - best) * gnn + best * filtered
    test = reference(blended, [split.train, split.valid], split.test, prefix="test/")
    assert result.test == pytest.approx(test, abs=2e-6)
    # The blend's two ends differ here, so the weight matters.
    assert expected[0.0] != expected[1.0]
    # What the GNN trained is what the result reports.
    assert result.epochs >= 1 and result.stop_reason in ("early_stop", "epoch_cap")
    assert result.num_parameters == sum(p.numel() for p in result.module.model.gnn.parameters())


def test_a_refit_blends_the_gnn_with_the_filter_rebuilt_from_train_and_validation(
    split, reference
) -> None:
    spec = Blend(Architecture(num_layers=1, dim=8), GraphFilter(alpha=0.5, rank=4, refit=True))
    result = fit(spec, Optim(lr=0.05), split, SETTINGS)
    plain = fit(
        dataclasses.replace(spec, filter=GraphFilter(alpha=0.5, rank=4)),
        Optim(lr=0.05),
        split,
        SETTINGS,
    )
    # Validation chose the same weight from the filter built on training alone.
    assert result.valid == plain.valid and result.architecture.weight == plain.architecture.weight
    (weight,) = result.architecture.weight
    with torch.no_grad():
        users, items = result.module.model.gnn()
    gnn = _z((users @ items.T).double().numpy())
    rebuilt = GraphFilterRecommender([split.train, split.valid], 4, seed=SETTINGS.seed)
    every_user = torch.arange(split.train.num_users)
    filtered = _z(rebuilt.scores(every_user, 0.5, 4).double().numpy())
    blended = (1 - weight) * gnn + weight * filtered
    test = reference(blended, [split.train, split.valid], split.test, prefix="test/")
    assert result.test == pytest.approx(test, abs=2e-6)
    assert 0 < weight and result.test != plain.test


def test_a_blend_refit_tests_the_gnn_retrained_on_training_and_validation(
    split, reference, tmp_path
) -> None:
    base, optim = Architecture(num_layers=1, dim=8), Optim(lr=0.05)
    spec = Blend(base, GraphFilter(alpha=0.5, rank=4), weight=0.5, refit=True)
    assert spec.filter.refit  # the blend's refit rebuilds its filter too
    result = fit(spec, optim, split, SETTINGS)
    plain = fit(dataclasses.replace(spec, refit=False), optim, split, SETTINGS)
    # Chosen as without the refit: it happens after validation.
    assert result.valid == plain.valid and result.best_epoch == plain.best_epoch
    assert result.architecture == dataclasses.replace(plain.architecture, refit=True)
    # The tested GNN is retrained from scratch on training + validation for the epochs
    # validation chose; the same epochs on training alone give another model.
    epochs = plain.best_epoch + 1
    merged = retrain(base, optim, train_and_valid(split), SETTINGS, epochs)
    alone = retrain(base, optim, split, SETTINGS, epochs)
    gnn = result.module.model.gnn
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(gnn(), merged()))
        assert not torch.equal(gnn()[0], alone()[0])
        assert not torch.equal(gnn()[0], plain.module.model.gnn()[0])
        users, items = gnn()
    rebuilt = GraphFilterRecommender([split.train, split.valid], 4, seed=SETTINGS.seed)
    every_user = torch.arange(split.train.num_users)
    filtered = _z(rebuilt.scores(every_user, 0.5, 4).double().numpy())
    blended = 0.5 * _z((users @ items.T).double().numpy()) + 0.5 * filtered
    test = reference(blended, [split.train, split.valid], split.test, prefix="test/")
    assert result.test == pytest.approx(test, abs=2e-6)
    # Saved and loaded back, the refit blend scores as it was tested.
    save_result(result, tmp_path, optim)
    loaded = saved_scorer(tmp_path / "model.pt", split)
    assert np.allclose(loaded(every_user).double().numpy(), blended, atol=1e-4)


class _Killed(Exception):
    pass


class _KilledAfterSecondEpoch(ResumableCheckpoint):
    """Saves as the real one does, then dies as a killed process would."""

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        if trainer.current_epoch == 1:
            raise _Killed


def test_a_refit_killed_midway_resumes_and_ends_as_an_uninterrupted_one(
    split, tmp_path, monkeypatch
) -> None:
    base, optim, both = Architecture(num_layers=1, dim=8), Optim(lr=0.05), train_and_valid(split)
    whole = retrain(base, optim, both, SETTINGS, 5)
    checkpoint = tmp_path / "refit.ckpt"
    with monkeypatch.context() as patched:
        patched.setattr(task_module, "ResumableCheckpoint", _KilledAfterSecondEpoch)
        with pytest.raises(_Killed):
            retrain(base, optim, both, SETTINGS, 5, checkpoint)
    assert torch.load(checkpoint, weights_only=False)["epoch"] == 1  # two epochs kept
    starts: list[int] = []

    class Watched(ResumableCheckpoint):
        def on_train_start(self, trainer, pl_module) -> None:
            super().on_train_start(trainer, pl_module)
            starts.append(self.start_epoch)

    with monkeypatch.context() as patched:
        patched.setattr(task_module, "ResumableCheckpoint", Watched)
        resumed = retrain(base, optim, both, SETTINGS, 5, checkpoint)
    assert starts == [2]  # continued after the two saved epochs, not begun again
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(resumed(), whole()))


def test_without_test_the_blend_scores_validation_only(split) -> None:
    spec = Blend(Architecture(num_layers=0, dim=8), GraphFilter(alpha=0.3, rank=4), weight=0.5)
    result = fit(spec, Optim(), split, SETTINGS.replace(trainer={"max_epochs": 2}), test=False)
    assert result.test == {} and result.valid[f"val/ndcg@{K}"] > 0


def test_a_blend_is_a_plain_value_read_back_from_its_mapping() -> None:
    spec = Blend(Architecture(num_layers=2), GraphFilter(alpha=[0.0, 0.3], sharpen=[0.0, 0.5]))
    assert spec.weight == WEIGHTS and spec.num_layers == 2
    assert model_from_dict(spec.to_dict()) == spec
    one = spec.chosen(GridPoint(0.3, 64, 0.5), 0.4)
    assert one.to_dict()["weight"] == 0.4 and one.filter.grid == [GridPoint(0.3, 64, 0.5)]
    assert model_from_dict(one.to_dict()) == one
    refit = dataclasses.replace(one, refit=True)
    assert refit.filter.refit and model_from_dict(refit.to_dict()) == refit


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weight": 1.5}, r"blend key 'weight': 1.5 must be a number in \[0, 1\]"),
        ({"weight": []}, "blend key 'weight' is an empty list"),
        ({"weight": [0.5, True]}, "blend key 'weight': True must be a number"),
        ({"base": {"score": "mlp"}}, "the GNN's score='mlp' scores pairs"),
        ({"extra": 1}, r"unknown blend key\(s\) \['extra'\]"),
        ({"refit": "yes"}, "blend key 'refit': 'yes' must be true or false"),
        ({"base": "lightgcn"}, "blend key 'base' must be a mapping"),
    ],
)
def test_a_bad_blend_is_refused_naming_the_key(changes: dict, message: str) -> None:
    values = {"family": "blend", "base": {}, "filter": {}, "weight": 0.5}
    for key, value in changes.items():
        merged = isinstance(value, dict) and isinstance(values.get(key), dict)
        values[key] = {**values[key], **value} if merged else value
    with pytest.raises(ConfigError, match=message):
        model_from_dict(values)


def test_standardised_rows_have_mean_0_and_deviation_1_and_a_constant_row_stays_0() -> None:
    scores = torch.tensor([[1.0, 2.0, 6.0, -3.0], [2.0, 2.0, 2.0, 2.0]])
    rows = standardised(scores)
    assert rows[0].mean().item() == pytest.approx(0, abs=1e-6)
    assert rows[0].std().item() == pytest.approx(1, abs=1e-6)
    assert torch.equal(rows[1], torch.zeros(4))
    # Ranking within a row is unchanged.
    assert torch.equal(rows[0].argsort(), scores[0].argsort())
