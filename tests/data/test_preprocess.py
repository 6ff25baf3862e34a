from __future__ import annotations

import numpy as np
import pytest

from lgnas.data.interactions import Interactions
from lgnas.data.preprocess import compact, deduplicate, kcore, to_implicit
from lgnas.errors import DataError


def test_to_implicit_keeps_ratings_at_or_above_threshold(ml100k: Interactions) -> None:
    positives = to_implicit(ml100k, 4.0)
    assert len(positives) == int((ml100k.rating >= 4).sum()) == 55_375
    assert positives.rating.min() == 4.0
    assert positives.num_items == ml100k.num_items  # id space unchanged until compact
    assert len(to_implicit(ml100k, None)) == len(ml100k)


def test_to_implicit_errors_name_step_and_threshold(ml100k: Interactions) -> None:
    with pytest.raises(DataError, match=r"to_implicit \(rating_threshold=6\.0\)"):
        to_implicit(ml100k, 6.0)
    implicit = Interactions.from_tokens(["a"], ["b"])
    with pytest.raises(DataError, match="no rating column"):
        to_implicit(implicit, 3.0)


def test_deduplicate_keeps_latest_by_timestamp_else_last_row() -> None:
    users, items = ["u", "u", "v", "u", "v"], ["x", "x", "x", "y", "x"]
    timed = Interactions.from_tokens(
        users, items, rating=[1, 2, 3, 4, 5], timestamp=[9, 5, 1, 2, 1]
    )
    kept = deduplicate(timed)
    # (u, x): time 9 beats 5; (v, x): equal times, the later row wins. Original order kept.
    assert list(kept.rating) == [1.0, 4.0, 5.0]
    untimed = Interactions.from_tokens(users, items, rating=[1, 2, 3, 4, 5])
    assert list(deduplicate(untimed).rating) == [2.0, 4.0, 5.0]


def test_deduplicate_first_and_max_policies() -> None:
    users, items = ["u", "u", "v", "u", "v", "u"], ["x", "x", "x", "y", "x", "x"]
    timed = Interactions.from_tokens(
        users, items, rating=[1, 3, 3, 4, 5, 3], timestamp=[9, 5, 1, 2, 1, 7]
    )
    # (u, x) rows 0, 1, 5: earliest is row 1 (time 5); highest rating 3 ties rows 1 and 5,
    # the later (time 7) wins. (v, x) rows 2, 4: equal times, first row / rating 5.
    assert list(deduplicate(timed, "first").rating) == [3.0, 3.0, 4.0]
    assert list(deduplicate(timed, "first").timestamp) == [5.0, 1.0, 2.0]
    assert list(deduplicate(timed, "max").timestamp) == [2.0, 1.0, 7.0]
    assert list(deduplicate(timed, "max").rating) == [4.0, 5.0, 3.0]
    with pytest.raises(DataError, match="dedup=max keeps the highest rating.*no rating"):
        deduplicate(Interactions.from_tokens(users, items), "max")


def test_kcore_leaves_every_user_and_item_with_k(ml100k: Interactions) -> None:
    core = kcore(ml100k, 20, 30)
    users = np.bincount(core.user)
    items = np.bincount(core.item)
    assert users[users > 0].min() >= 20 and items[items > 0].min() >= 30
    assert 0 < len(core) < len(ml100k)


def test_kcore_iterates_to_a_fixed_point() -> None:
    # Dropping item "z" (1 user) leaves user "c" with 1 item, which then must go too.
    users = ["a", "a", "b", "b", "c", "c"]
    items = ["x", "y", "x", "y", "x", "z"]
    core = kcore(Interactions.from_tokens(users, items), 2, 2)
    pairs = {
        (core.user_ids[u], core.item_ids[i]) for u, i in zip(core.user, core.item, strict=True)
    }
    assert pairs == {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}


def test_kcore_removing_everything_is_an_error(ml100k: Interactions) -> None:
    with pytest.raises(DataError, match=r"kcore \(user_k=1000, item_k=1000\) removed all"):
        kcore(ml100k, 1000, 1000)


def test_compact_redensifies_and_keeps_tokens_and_features(ml100k: Interactions) -> None:
    core = kcore(ml100k, 30, 10)
    dense = compact(core)
    assert dense.num_users == len(np.unique(core.user)) < ml100k.num_users
    assert dense.num_items == len(np.unique(core.item)) < ml100k.num_items
    assert set(np.unique(dense.item)) == set(range(dense.num_items))
    np.testing.assert_array_equal(dense.user_ids[dense.user], core.user_ids[core.user])
    np.testing.assert_array_equal(dense.item_ids[dense.item], core.item_ids[core.item])
    title = dense.item_features["movie_title"]
    assert title[int(np.flatnonzero(dense.item_ids == "1")[0])] == "Toy Story"
    np.testing.assert_array_equal(title[dense.item], core.item_features["movie_title"][core.item])


def test_subset_keeps_id_space(ml100k: Interactions) -> None:
    part = ml100k.subset(ml100k.user == 0)
    assert (
        part.num_users == 943 and part.num_items == 1682 and len(part) == (ml100k.user == 0).sum()
    )
    assert part.item_features is ml100k.item_features


def test_from_tokens_side_table_first_row_wins_and_unknown_rows_ignored() -> None:
    data = Interactions.from_tokens(
        ["u1", "u2"],
        [10, 2],
        item_table={"item_id": ["2", "99", "2"], "name": ["two", "ghost", "dup"]},
    )
    assert list(data.item_ids) == ["2", "10"]
    assert list(data.item_features["name"]) == ["two", ""]
