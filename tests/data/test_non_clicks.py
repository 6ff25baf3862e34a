"""Drawn non-clicks make click-only data labelled impressions (``sampled_non_clicks``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lgnas.data import prepare_dataset
from lgnas.data.interactions import Interactions
from lgnas.data.non_clicks import add_non_clicks
from lgnas.errors import ConfigError


def _data(user: list[int], item: list[int], num_items: int) -> Interactions:
    return Interactions(
        user=np.array(user),
        item=np.array(item),
        rating=None,
        timestamp=np.arange(len(user)) * 10,
        user_ids=np.array([f"u{u}" for u in range(max(user) + 1)]),
        item_ids=np.array([f"i{i}" for i in range(num_items)]),
    )


@pytest.mark.parametrize("per_click", [1, 3])
def test_draws_are_unobserved_distinct_per_user_labelled_and_seeded(per_click: int) -> None:
    rng = np.random.default_rng(5)
    user = rng.integers(0, 40, 600)
    item = rng.integers(0, 100, 600)
    pairs = np.unique(np.stack([user, item], 1), axis=0)  # unique (user, item) rows
    data = _data(pairs[:, 0].tolist(), pairs[:, 1].tolist(), 100)
    out, rows = add_non_clicks(data, per_click, seed=0)
    n = len(data)
    assert len(out) == n * (1 + per_click)
    assert (out.rating[:n] == 1).all() and (out.rating[n:] == 0).all()
    assert (rows[:n] == np.arange(n)).all()
    assert (out.user == data.user[rows]).all() and (out.timestamp == data.timestamp[rows]).all()
    # Each row draws per_click non-clicks for its own user.
    assert (np.bincount(rows[n:], minlength=n) == per_click).all()
    observed = set(zip(data.user.tolist(), data.item.tolist(), strict=True))
    drawn = list(zip(out.user[n:].tolist(), out.item[n:].tolist(), strict=True))
    assert not observed & set(drawn)  # never an item the user interacted with
    assert len(set(drawn)) == len(drawn)  # distinct within a user
    again, _ = add_non_clicks(data, per_click, seed=0)
    other, _ = add_non_clicks(data, per_click, seed=1)
    assert (again.item == out.item).all() and (other.item != out.item).any()


def test_a_user_without_room_for_the_draws_is_refused() -> None:
    data = _data([0, 0, 0, 1], [0, 1, 2, 0], num_items=5)  # user 0: 3 items, 2 unobserved
    with pytest.raises(ConfigError, match="user 'u0' has 3 interactions and only 2 other"):
        add_non_clicks(data, 1, seed=0)
    with pytest.raises(ConfigError, match="per_click=0 must be a positive integer"):
        add_non_clicks(data, 0, seed=0)


def test_a_dataset_config_draws_them_and_keeps_the_predefined_parts(data_dir: Path) -> None:
    cfg = {
        "name": "gowalla_small_ctr",
        "format": "lightgcn",
        "path": str(data_dir / "gowalla"),
        "subsample": {"users": 300, "seed": 0},
        "kcore": 2,
        "sampled_non_clicks": {"per_click": 2, "seed": 0},
        "split": {"kind": "predefined", "valid_ratio": 0.0},
    }
    split = prepare_dataset(cfg, seed=0)
    plain = prepare_dataset({**cfg, "sampled_non_clicks": None}, seed=0)
    assert split.click_threshold == 1.0
    for part, given in ((split.train, plain.train), (split.test, plain.test)):
        clicked = split.clicked(part)
        assert clicked.sum() == len(given) and len(part) == 3 * len(given)  # 2 drawn per click
        # A drawn non-click stays in its click's part: every user's draws follow their rows.
        users = np.bincount(part.user[~clicked], minlength=split.train.num_users)
        assert (users == 2 * np.bincount(given.user, minlength=len(users))).all()
    with pytest.raises(ConfigError, match="remove click_threshold=4"):
        prepare_dataset({**cfg, "click_threshold": 4}, seed=0)
    with pytest.raises(ConfigError, match=r"sampled_non_clicks.*'per_clik'"):
        prepare_dataset({**cfg, "sampled_non_clicks": {"per_clik": 1}}, seed=0)
