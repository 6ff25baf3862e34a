from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from omegaconf import OmegaConf

from lgnas.data.catalog import prepare_dataset
from lgnas.data.splits import Split
from lgnas.errors import ConfigError, DataError

ML100K: dict[str, Any] = {
    "name": "ml100k",
    "format": "atomic",
    "path": "ml-100k",
    "rating_threshold": None,
    "kcore": 0,
    "dedup": True,
    "split": {"kind": "random", "ratios": [0.8, 0.1, 0.1]},
}
SYNTHETIC: dict[str, Any] = {
    "name": "synthetic",
    "format": "synthetic",
    "options": {"num_users": 300, "num_items": 400, "num_interactions": 6000},
}


@pytest.fixture(autouse=True)
def _data_dir_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGNAS_DATA_DIR", str(data_dir))


def sizes(split: Split) -> tuple[int, int, int]:
    return len(split.train), len(split.valid), len(split.test)


def pairs(split: Split) -> set[tuple[int, int]]:
    parts = (split.train, split.valid, split.test)
    return {(int(u), int(i)) for p in parts for u, i in zip(p.user, p.item, strict=True)}


def test_ml100k_config_resolves_path_under_data_dir() -> None:
    split = prepare_dataset(ML100K, seed=0)
    assert sum(sizes(split)) == 100_000 and split.train.num_items == 1682
    assert abs(len(split.train) / 100_000 - 0.8) < 0.02
    same = prepare_dataset(OmegaConf.create(ML100K), seed=0)  # Hydra configs work as given
    np.testing.assert_array_equal(same.test.item, split.test.item)


def test_threshold_and_kcore_then_compacted_ids() -> None:
    cfg = {**ML100K, "rating_threshold": 4, "kcore": 10}
    split = prepare_dataset(cfg, seed=0)
    user = np.concatenate([split.train.user, split.valid.user, split.test.user])
    item = np.concatenate([split.train.item, split.valid.item, split.test.item])
    assert np.bincount(user).min() >= 10 and np.bincount(item).min() >= 10  # no unused ids
    assert split.train.num_items == len(np.unique(item)) < 1682
    assert split.train.rating.min() >= 4


def test_lightgcn_defaults_to_its_published_split() -> None:
    cfg = {"name": "gowalla", "format": "lightgcn", "path": "gowalla"}
    split = prepare_dataset(cfg, seed=0)
    assert len(split.test) == 217_242 and len(split.train) + len(split.valid) == 810_128


def test_synthetic_seed_resplits_the_same_data() -> None:
    first, second = prepare_dataset(SYNTHETIC, seed=0), prepare_dataset(SYNTHETIC, seed=1)
    assert sum(sizes(first)) == 6000 and first.train.num_users <= 300
    assert pairs(first) == pairs(second)
    assert not np.array_equal(first.test.item, second.test.item)
    cold = prepare_dataset({**SYNTHETIC, "split": {"kind": "cold_items", "temporal": True}}, 0)
    assert cold.cold_items is not None and not np.isin(cold.train.item, cold.cold_items).any()


def test_csv_options_reach_the_loader(tmp_path: Path) -> None:
    rows = "\n".join(f"user{u},item{(u * 7 + k) % 13},{k}" for u in range(20) for k in range(6))
    (tmp_path / "log.csv").write_text("who,what,t\n" + rows + "\n")
    cfg = {
        "name": "mine",
        "format": "csv",
        "path": str(tmp_path / "log.csv"),
        "options": {"columns": {"user": "who", "item": "what", "timestamp": "t"}},
        "split": {"kind": "leave_one_out"},
    }
    split = prepare_dataset(cfg, seed=0)
    assert sizes(split) == (80, 20, 20)
    assert split.test.timestamp.min() == 5.0
    older = {**cfg, "options": {"user_col": "who", "item_col": "what", "timestamp_col": "t"}}
    with pytest.warns(DeprecationWarning, match=r"use columns: \{'user': 'who'"):
        again = prepare_dataset(older, seed=0)  # the older spelling still loads the same
    np.testing.assert_array_equal(again.test.item, split.test.item)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"format": "parquet"},
            r"format 'parquet' is unknown; valid: \['atomic', 'atomic_split', 'csv', 'grouplens'",
        ),
        ({"split": {"kind": "kfold"}}, r"split kind 'kfold' is unknown; valid: \['cold_items'"),
        ({"split": {"kind": "random", "ratio": [1]}}, r"unknown option\(s\) \['ratio'\]"),
        (
            {"options": {"user_feild": "u"}},
            r"format 'atomic'.*unknown option\(s\) \['user_feild'\]",
        ),
        ({"shuffle": True}, r"unknown key\(s\) \['shuffle'\]"),
        ({"split": {"kind": "predefined"}}, r"'predefined' needs a format with a published test"),
        ({"kcore": -1}, r"kcore=-1 must be an integer >= 0"),
        ({"path": None}, r"format 'atomic' needs 'path'"),
        (
            {"format": "csv", "path": None},
            r"format 'csv' needs 'path' \(a file or folder\), or 'train' and 'test' files",
        ),
        ({"format": "atomic", "train": "a.tsv"}, r"format 'atomic' reads no \['train'\] files"),
        ({"dedup": "newest"}, r"dedup='newest' must be one of \['last', 'first', 'max'\]"),
        ({"unseen": "skip"}, r"unseen='skip' must be 'drop'"),
        ({"split": {"kind": "temporal", "seed": 1}}, r"'temporal' draws nothing at random"),
        ({"split": {"kind": "random", "seed": -1}}, r"dataset.split.seed=-1 must be an integer"),
    ],
)
def test_config_errors_name_the_offending_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        prepare_dataset({**ML100K, **change}, seed=0)


def test_data_errors_surface_from_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"rating_threshold=9"):
        prepare_dataset({**ML100K, "rating_threshold": 9}, seed=0)
    with pytest.raises(DataError, match="not-here"):
        prepare_dataset({**ML100K, "path": str(tmp_path / "not-here")}, seed=0)


def test_temporal_cold_config_makes_the_newest_items_cold_and_drops_the_year(
    data_dir: Path,
) -> None:
    from hydra import compose, initialize_config_dir

    from lgnas.config import config_dir

    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("config", overrides=["dataset=ml100k_cold_temporal"])
    assert "release_year" not in cfg.dataset.item_features.text.template
    assert cfg.dataset.item_features.meta.year_bucket == 10  # the decade stays
    # The split itself, without encoding texts: the cold items are the last first-rated ones.
    dataset = OmegaConf.to_container(cfg.dataset, resolve=True)
    del dataset["item_features"]
    split = prepare_dataset(dataset, seed=0)
    data = split.train
    first_seen = np.full(data.num_items, np.inf)
    for part in (split.train, split.valid, split.test):
        np.minimum.at(first_seen, part.item, part.timestamp)
    cold = np.zeros(data.num_items, dtype=bool)
    cold[split.cold_items] = True
    assert cold.sum() == round(0.2 * data.num_items)
    assert first_seen[cold].min() >= first_seen[~cold].max()


def test_preparing_a_dataset_says_what_it_reads_and_what_it_got(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("INFO", logger="lgnas.data.catalog"):
        split = prepare_dataset(ML100K, seed=0)
    reading, prepared = caplog.messages
    assert reading.startswith("dataset 'ml100k': reading ") and reading.endswith("ml-100k")
    assert prepared.startswith("dataset 'ml100k': 943 users, 1,682 items, 100,000 interactions")
    assert len(split.train) > 0
