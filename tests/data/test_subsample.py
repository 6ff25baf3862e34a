"""``dataset.subsample``: a seeded sample of users, and the small datasets built with it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lgnas.data.catalog import prepare_dataset
from lgnas.data.interactions import Interactions
from lgnas.data.preprocess import subsample_users, subsample_users_rows
from lgnas.data.splits import Split
from lgnas.errors import ConfigError, DataError

CONF = Path(__file__).resolve().parents[2] / "conf"
"""This checkout's configs (an installed lgnas may point at another checkout's)."""


@pytest.fixture(autouse=True)
def _data_dir_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGNAS_DATA_DIR", str(data_dir))


ML100K: dict[str, Any] = {
    "name": "ml100k",
    "format": "atomic",
    "path": "ml-100k",
    "split": {"kind": "random", "ratios": [0.8, 0.1, 0.1]},
}
GOWALLA: dict[str, Any] = {
    "name": "gowalla",
    "format": "lightgcn",
    "path": "gowalla",
    "split": {"kind": "predefined", "valid_ratio": 0.1},
}


def parts(split: Split) -> tuple[Interactions, Interactions, Interactions]:
    return split.train, split.valid, split.test


def kept_users(split: Split) -> set[str]:
    """Original tokens of the users with rows in any part."""
    return {str(split.train.user_ids[u]) for p in parts(split) for u in np.unique(p.user)}


def token_pairs(split: Split) -> set[tuple[str, str]]:
    return {
        (str(p.user_ids[u]), str(p.item_ids[i]))
        for p in parts(split)
        for u, i in zip(p.user, p.item, strict=True)
    }


def test_keeps_exactly_n_users_and_every_row_of_theirs_in_both_published_parts(
    gowalla: tuple[Interactions, np.ndarray],
) -> None:
    split = prepare_dataset({**GOWALLA, "subsample": {"users": 300}}, seed=0)
    assert split.train.num_users == 300 == len(kept_users(split))

    raw, is_test = gowalla
    users = np.array(sorted(kept_users(split)), dtype=np.int64)  # gowalla's tokens are its ids
    mine = np.isin(raw.user, users)
    assert len(split.train) + len(split.valid) == int((mine & ~is_test).sum())
    assert len(split.test) == int((mine & is_test).sum())
    # The kept users' published test rows are exactly the split's test rows.
    test = split.test
    held = {(test.user_ids[u], test.item_ids[i]) for u, i in zip(test.user, test.item, strict=True)}
    rows = mine & is_test
    published = {
        (raw.user_ids[u], raw.item_ids[i])
        for u, i in zip(raw.user[rows], raw.item[rows], strict=True)
    }
    assert held == published


def test_items_nobody_kept_touches_are_dropped() -> None:
    split = prepare_dataset({**GOWALLA, "subsample": {"users": 300}}, seed=0)
    used = np.unique(np.concatenate([p.item for p in parts(split)]))
    np.testing.assert_array_equal(used, np.arange(split.train.num_items))
    assert split.train.num_items < 40_981


def test_the_draw_is_seeded_and_independent_of_the_split_seed() -> None:
    cfg = {**ML100K, "subsample": {"users": 200, "seed": 3}}
    first, again = prepare_dataset(cfg, seed=0), prepare_dataset(cfg, seed=0)
    assert token_pairs(first) == token_pairs(again)
    np.testing.assert_array_equal(first.test.item, again.test.item)
    resplit = prepare_dataset(cfg, seed=1)  # same sample, other split
    assert token_pairs(resplit) == token_pairs(first)
    assert not np.array_equal(resplit.test.item, first.test.item)
    other = prepare_dataset({**ML100K, "subsample": {"users": 200, "seed": 4}}, seed=0)
    assert kept_users(other) != kept_users(first)
    default = prepare_dataset({**ML100K, "subsample": {"users": 200}}, seed=0)
    zero = prepare_dataset({**ML100K, "subsample": {"users": 200, "seed": 0}}, seed=0)
    assert kept_users(default) == kept_users(zero)


def test_all_users_keeps_all_rows_and_null_turns_it_off() -> None:
    every = prepare_dataset({**ML100K, "subsample": {"users": 943}}, seed=0)
    off = prepare_dataset({**ML100K, "subsample": None}, seed=0)
    assert token_pairs(every) == token_pairs(off)
    assert sum(len(p) for p in parts(every)) == 100_000


def test_runs_before_kcore_which_then_cleans_up_rare_items() -> None:
    split = prepare_dataset({**GOWALLA, "subsample": {"users": 1000}, "kcore": 5}, seed=0)
    user = np.concatenate([p.user for p in parts(split)])
    item = np.concatenate([p.item for p in parts(split)])
    assert np.bincount(user).min() >= 5 and np.bincount(item).min() >= 5
    assert 0 < split.train.num_users <= 1000
    plain = prepare_dataset({**GOWALLA, "subsample": {"users": 1000}}, seed=0)
    assert kept_users(split) <= kept_users(plain)  # k-core only removes from the sample


def test_subsample_users_rows_keep_file_order_and_whole_users() -> None:
    data = Interactions.from_tokens(
        users=["a", "b", "a", "c", "d", "b", "c", "a"], items=[1, 2, 3, 1, 2, 3, 4, 4]
    )
    rows = subsample_users_rows(data, 2, seed=7)
    assert np.all(np.diff(rows) > 0)
    chosen = np.unique(data.user[rows])
    assert len(chosen) == 2
    np.testing.assert_array_equal(rows, np.flatnonzero(np.isin(data.user, chosen)))
    assert len(subsample_users(data, 2, seed=7)) == len(rows)
    with pytest.raises(DataError, match=r"users=5 must be between 1 and the 4 users"):
        subsample_users_rows(data, 5)


@pytest.mark.parametrize(
    ("subsample", "message"),
    [
        ({"users": 0}, r"dataset\.subsample\.users=0 must be a positive integer"),
        ({"users": -5}, r"dataset\.subsample\.users=-5 must be a positive integer"),
        ({"users": 1.5}, r"dataset\.subsample\.users=1\.5 must be a positive integer"),
        ({"users": "100"}, r"dataset\.subsample\.users='100' must be a positive integer"),
        ({"users": True}, r"dataset\.subsample\.users=True must be a positive integer"),
        ({"seed": 1}, r"dataset\.subsample\.users=None must be a positive integer"),
        ({"users": 10, "seed": -1}, r"dataset\.subsample\.seed=-1 must be an integer >= 0"),
        ({"users": 10, "seed": "a"}, r"dataset\.subsample\.seed='a' must be an integer >= 0"),
        ({"users": 10, "items": 5}, r"dataset\.subsample: unknown key\(s\) \['items'\]"),
        (5000, r"'subsample' must be a mapping"),
        (
            {"users": 944},
            r"dataset\.subsample\.users=944 is more than the 943 users with interactions",
        ),
    ],
)
def test_bad_subsample_values_are_refused_naming_the_key(subsample: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        prepare_dataset({**ML100K, "subsample": subsample}, seed=0)


def test_more_users_than_remain_after_the_threshold_is_refused() -> None:
    cfg = {**ML100K, "rating_threshold": 5, "subsample": {"users": 943}}
    with pytest.raises(ConfigError, match=r"users with interactions \(after rating_threshold"):
        prepare_dataset(cfg, seed=0)


def composed_dataset(name: str, data_dir: Path, *overrides: str) -> dict[str, Any]:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(config_dir=str(CONF), version_base=None):
        cfg = compose("train", overrides=[f"dataset={name}", f"data_dir={data_dir}", *overrides])
    return OmegaConf.to_container(cfg.dataset, resolve=True)


def documented_sizes(name: str) -> tuple[int, ...]:
    """Users, items, train, valid and test interactions the config's comment states."""
    text = (CONF / "dataset" / f"{name}.yaml").read_text()
    found = re.search(
        r"([\d,]+) users, ([\d,]+) items; ([\d,]+) train / ([\d,]+) valid / ([\d,]+) test", text
    )
    assert found, f"{name}.yaml states no sizes"
    return tuple(int(group.replace(",", "")) for group in found.groups())


@pytest.mark.parametrize("name", ["gowalla_small", "amazon_book_small"])
def test_small_configs_compose_and_load_with_their_documented_sizes(
    name: str, data_dir: Path
) -> None:
    dataset = composed_dataset(name, data_dir)
    assert dataset["name"] == name and dataset["subsample"]["seed"] == 0
    for seed in (0, 2020):  # the validation carve moves rows, not counts
        split = prepare_dataset(dataset, seed=seed)
        sizes = (split.train.num_users, split.train.num_items, *(len(p) for p in parts(split)))
        assert sizes == documented_sizes(name)
    bigger = prepare_dataset(composed_dataset(name, data_dir, "dataset.subsample.users=12000"), 0)
    assert bigger.train.num_users > split.train.num_users


@pytest.mark.parametrize("name", ["gowalla_small", "amazon_book_small"])
def test_their_ctr_configs_add_a_drawn_non_click_per_interaction(name: str, data_dir: Path) -> None:
    users, items, *sizes = documented_sizes(name)
    split = prepare_dataset(composed_dataset(f"{name}_ctr", data_dir), seed=0)
    assert (split.train.num_users, split.train.num_items) == (users, items)
    every = parts(split)
    clicks = [int(split.clicked(part).sum()) for part in every]
    assert sum(clicks) == sum(sizes) and sum(len(p) for p in every) == 2 * sum(sizes)
    assert 0.8 <= len(split.train) / (2 * sum(sizes)) < 0.83  # 8:1:1 per user, rounded


def test_full_amazon_book_config_loads_the_published_split(data_dir: Path) -> None:
    split = prepare_dataset(composed_dataset("amazon_book", data_dir), seed=0)
    assert (split.train.num_users, split.train.num_items) == (70_679, 24_915)
    assert len(split.train) + len(split.valid) == 652_514 and len(split.test) == 193_920
