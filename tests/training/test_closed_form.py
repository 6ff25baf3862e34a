"""Fitting a graph filter: honest full ranking, selection on validation, a real ml-100k run."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from lgnas.data import prepare_dataset
from lgnas.data.splits import Split
from lgnas.errors import ConfigError
from lgnas.models.filter_recommender import GraphFilterRecommender
from lgnas.models.graph_filter import GraphFilter, GridPoint
from lgnas.training import TrainSettings
from lgnas.training.closed_form import GRID_FILE, fit_graph_filter
from lgnas.training.job import run_training

K = 5
SETTINGS = TrainSettings(
    eval={"metrics": ["recall", "ndcg"], "ks": [K], "monitor": f"ndcg@{K}", "batch_size": 7},
    trainer={"logger": True},
)


def test_metrics_equal_brute_force_ranking_with_seen_items_masked(
    split, reference, tmp_path
) -> None:
    spec = GraphFilter(alpha=[0.0, 0.5, 2.0], rank=[2, 6], sharpen=[0.0, 0.7])
    result = fit_graph_filter(spec, split, SETTINGS, log_dir=tmp_path)
    (chosen,) = result.architecture.grid
    users = torch.arange(split.train.num_users)
    scores = result.module.model.scores(users, *chosen).double().numpy()
    valid = reference(scores, [split.train], split.valid, prefix="val/")
    assert result.valid == pytest.approx(valid, abs=1e-6)
    # At test time validation items are masked too (the filter still reads training rows).
    test = reference(scores, [split.train, split.valid], split.test, prefix="test/")
    assert result.test == pytest.approx(test, abs=1e-6)
    # Masking matters here: unmasked, the filter ranks the user's own training items first.
    unmasked = reference(scores, [], split.valid)
    assert unmasked[f"ndcg@{K}"] < valid[f"val/ndcg@{K}"] - 0.05

    # The grid file shows every point's validation metrics (all scored in one pass over the
    # batches), and the chosen point is the best of them.
    with (tmp_path / GRID_FILE).open() as handle:
        rows = list(csv.DictReader(handle))
    points = [GridPoint(float(r["alpha"]), int(r["rank"]), float(r["sharpen"])) for r in rows]
    assert points == spec.grid and len(points) == 10
    full = GraphFilterRecommender([split.train], 6, seed=SETTINGS.seed)  # the fit's SVD again
    for row, point in zip(rows, points):
        scored = full.scores(users, *point).double().numpy()
        expected = reference(scored, [split.train], split.valid, prefix="val/")
        assert {key: float(row[key]) for key in expected} == pytest.approx(expected, abs=2e-6)
    best = max(zip(rows, points), key=lambda pair: float(pair[0][f"val/ndcg@{K}"]))[1]
    assert best == chosen
    assert result.stop_reason == "closed_form" and result.epochs == 0
    assert result.num_parameters == 0


def test_a_refit_tests_the_chosen_filter_rebuilt_from_train_and_validation(
    split, reference
) -> None:
    spec = GraphFilter(alpha=[0.0, 0.5], rank=[2, 6], sharpen=[0.0, 0.5], refit=True)
    result = fit_graph_filter(spec, split, SETTINGS)
    plain = fit_graph_filter(dataclasses.replace(spec, refit=False), split, SETTINGS)
    assert result.valid == plain.valid and result.architecture.refit
    assert result.architecture.alpha == plain.architecture.alpha
    refit = result.module.model
    users = torch.arange(split.train.num_users)
    seen = np.bincount(np.concatenate([split.train.user, split.valid.user]), minlength=30)
    assert torch.equal(refit.rows.counts(users), torch.as_tensor(seen))
    scores = refit.scores(users, *result.architecture.grid[0]).double().numpy()
    test = reference(scores, [split.train, split.valid], split.test, prefix="test/")
    assert result.test == pytest.approx(test, abs=1e-6)
    assert result.test != plain.test


def test_without_test_the_test_split_is_not_scored(split) -> None:
    result = fit_graph_filter(GraphFilter(alpha=0.3, rank=4), split, SETTINGS, test=False)
    assert result.test == {} and result.valid[f"val/ndcg@{K}"] > 0


def test_a_grid_needs_validation_and_ranks_the_data_allows(split) -> None:
    empty = Split(split.train, split.valid.subset(np.zeros(0, np.int64)), split.test)
    with pytest.raises(ConfigError, match="chosen on validation, but .* no validation"):
        fit_graph_filter(GraphFilter(alpha=[0.1, 0.3], rank=4), empty, SETTINGS)
    # Ranks above min(users, items) = 30 leave the grid; with none left, it is refused.
    result = fit_graph_filter(GraphFilter(alpha=0.3, rank=[4, 64]), split, SETTINGS)
    assert result.architecture.rank == (4,)
    with pytest.raises(ConfigError, match="every graph filter rank \\[64\\] exceeds"):
        fit_graph_filter(GraphFilter(alpha=0.3, rank=64), split, SETTINGS)


def _popularity_ndcg(split: Split, reference: Callable[..., dict], k: int = 20) -> float:
    """Test NDCG@k of ranking unseen items by their training popularity."""
    popularity = np.bincount(split.train.item, minlength=split.train.num_items).astype(float)
    scores = np.broadcast_to(popularity, (split.train.num_users, len(popularity)))
    return reference(scores, [split.train, split.valid], split.test, k)[f"ndcg@{k}"]


def test_gfcf_preset_on_ml100k_beats_popularity(train_job, reference, tmp_path: Path) -> None:
    job = train_job("model=gfcf", "model.arch.alpha=[0.0,0.3]", "model.arch.rank=[32,64]")
    result = run_training(job, tmp_path)
    popularity = _popularity_ndcg(prepare_dataset(job.dataset, seed=job.train.seed), reference)
    assert 0.1 < popularity < result.test["test/ndcg@20"] < 0.6
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["stop_reason"] == "closed_form" and summary["test"] == result.test
    saved = torch.load(tmp_path / "model.pt")
    assert saved["architecture"]["family"] == "graph_filter"
    # The chosen filter, saved as a recipe, computes the same test metrics again.
    again = run_training(train_job("model=file", f"model.path={tmp_path / 'architecture.yaml'}"))
    assert again.architecture == result.architecture and again.test == result.test
