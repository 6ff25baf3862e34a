"""Labelled impressions for the click-through task: labels, split, graph and batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lgnas.data import prepare_dataset
from lgnas.data.clicks import ClickDataModule, EvalImpressions, impressions
from lgnas.data.loaders import load_atomic
from lgnas.errors import ConfigError, DataError

CTR = {
    "name": "ml100k_ctr",
    "format": "atomic",
    "path": "ml-100k",
    "click_threshold": 4,
    "split": {"kind": "random", "ratios": [0.8, 0.1, 0.1]},
}


@pytest.fixture(scope="module")
def split(data_dir: Path):
    return prepare_dataset({**CTR, "path": str(data_dir / "ml-100k")}, seed=0)


def _rows(part) -> set[tuple[int, int]]:
    return set(zip(part.user.tolist(), part.item.tolist(), strict=True))


def test_every_rating_is_an_impression_labelled_by_the_threshold(split, data_dir: Path) -> None:
    raw = load_atomic(data_dir / "ml-100k")
    parts = (split.train, split.valid, split.test)
    assert sum(len(p) for p in parts) == len(raw) == 100_000  # low ratings kept, not dropped
    clicks = sum(int(split.clicked(p).sum()) for p in parts)
    assert clicks == int((raw.rating >= 4).sum())
    for part in parts:
        assert (split.clicked(part) == (part.rating >= 4)).all()
    # Per user 8:1:1 and no (user, item) in two parts.
    assert not _rows(split.train) & _rows(split.valid)
    assert not (_rows(split.train) | _rows(split.valid)) & _rows(split.test)
    users = np.bincount(np.concatenate([p.user for p in parts]))
    assert (np.bincount(split.train.user, minlength=len(users)) >= 0.8 * users - 1).all()


def test_the_graph_holds_the_training_clicks_only(split) -> None:
    data = ClickDataModule(split, batch_size=4096, seed=0)
    clicked = split.clicked(split.train)
    edges = set(zip(data.graph.user.tolist(), data.graph.item.tolist(), strict=True))
    user, item = split.train.user[clicked], split.train.item[clicked]
    assert edges == set(zip(user.tolist(), item.tolist(), strict=True))
    assert data.graph.num_users == split.train.num_users


def test_the_impressions_graph_holds_every_training_impression_and_nothing_else(split) -> None:
    data = ClickDataModule(split, batch_size=4096, seed=0)
    assert data.graph_of("clicks") is data.graph
    graph = data.graph_of("impressions")
    assert set(zip(graph.user.tolist(), graph.item.tolist(), strict=True)) == _rows(split.train)
    assert graph.num_edges == len(split.train) > data.graph.num_edges  # non-clicks added
    assert (graph.num_users, graph.num_items) == (data.graph.num_users, data.graph.num_items)
    with pytest.raises(ConfigError, match="'views'"):
        data.graph_of("views")


def test_an_epoch_shows_every_training_impression_once_and_replays_by_seed(split) -> None:
    def epoch(seed: int) -> list[tuple[int, int, float]]:
        data = ClickDataModule(split, batch_size=5000, seed=seed)
        rows = []
        for users, items, clicked in data.train_dataloader():
            rows += list(zip(users.tolist(), items.tolist(), clicked.tolist(), strict=True))
        return rows

    rows = epoch(0)
    expected = impressions(split, split.train)
    assert sorted(rows) == sorted(zip(*(t.tolist() for t in expected), strict=True))
    assert rows == epoch(0) and rows != epoch(1)


def test_evaluation_processes_share_every_batch_without_overlap(split) -> None:
    rows = impressions(split, split.valid)
    shares = [list(EvalImpressions(rows, 3000, rank, 2)) for rank in (0, 1)]
    assert len(shares[0]) == len(shares[1]) == -(-len(rows[0]) // 3000)
    seen = torch.cat([batch[0] * 10_000 + batch[1] for share in shares for batch in share])
    assert sorted(seen.tolist()) == sorted((rows[0] * 10_000 + rows[1]).tolist())


def test_unlabelled_data_and_bad_thresholds_are_refused(data_dir: Path) -> None:
    plain = prepare_dataset({**CTR, "path": str(data_dir / "ml-100k"), "click_threshold": None}, 0)
    with pytest.raises(DataError, match="no click labels.*dataset=ml100k_ctr"):
        ClickDataModule(plain)
    with pytest.raises(ConfigError, match="click_threshold='four' must be a number"):
        prepare_dataset({**CTR, "path": str(data_dir / "ml-100k"), "click_threshold": "four"}, 0)
