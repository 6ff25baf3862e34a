from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from lgnas.data.interactions import Interactions
from lgnas.data.splits import (
    Split,
    split_cold_items,
    split_leave_one_out,
    split_predefined,
    split_random,
    split_temporal,
    train_and_valid,
)
from lgnas.errors import ConfigError, DataError

SEEDED: dict[str, Callable[[Interactions, int], Split]] = {
    "random": lambda data, seed: split_random(data, seed=seed),
    "leave_one_out": lambda data, seed: split_leave_one_out(data, seed=seed),
    "cold_items": lambda data, seed: split_cold_items(data, seed=seed),
    "cold_items_temporal": lambda data, seed: split_cold_items(data, seed=seed, temporal=True),
    "predefined": lambda data, seed: split_predefined(
        data, data.timestamp > np.quantile(data.timestamp, 0.8), seed=seed
    ),
}
ALL = {**SEEDED, "temporal": lambda data, seed: split_temporal(data)}


def recbole_counts(n: int, ratios: tuple[float, ...]) -> list[int]:
    """RecBole 1.2's ``_calcu_split_ids`` counts, written out as RecBole does it."""
    cnt = [int(ratios[i] * n) for i in range(len(ratios))]
    cnt[0] = n - sum(cnt[1:])
    for i in range(1, len(ratios)):
        if cnt[0] <= 1:
            break
        if 0 < ratios[-i] * n < 1:
            cnt[-i] += 1
            cnt[0] -= 1
    return cnt


def per_user(part: Interactions) -> np.ndarray:
    return np.bincount(part.user, minlength=part.num_users)


@pytest.mark.parametrize("kind", sorted(ALL))
def test_every_row_lands_in_exactly_one_part(
    kind: str, ml100k: Interactions, tag_rows, assert_partition
) -> None:
    tagged = tag_rows(ml100k)
    split = ALL[kind](tagged, 0)
    assert_partition(tagged, split)
    assert len(split.train) and len(split.valid) and len(split.test)


@pytest.mark.parametrize("kind", sorted(SEEDED))
def test_seeded_splits_reproduce_and_seeds_differ(
    kind: str, ml100k: Interactions, tag_rows, rows_of
) -> None:
    tagged = tag_rows(ml100k)
    first, again, other = (SEEDED[kind](tagged, seed) for seed in (5, 5, 6))
    for name in ("train", "valid", "test"):
        np.testing.assert_array_equal(rows_of(getattr(first, name)), rows_of(getattr(again, name)))
    if kind != "leave_one_out":  # with timestamps leave-one-out is deterministic
        held_out = [np.concatenate([rows_of(s.valid), rows_of(s.test)]) for s in (first, other)]
        assert not np.array_equal(*held_out)


def test_random_split_counts_match_recbole_per_user(ml100k: Interactions) -> None:
    split = split_random(ml100k, (0.8, 0.1, 0.1), seed=1)
    sizes = np.bincount(ml100k.user)
    expected = np.array([recbole_counts(int(n), (0.8, 0.1, 0.1)) for n in sizes])
    got = np.stack([per_user(split.train), per_user(split.valid), per_user(split.test)], 1)
    np.testing.assert_array_equal(got, expected)
    assert abs(len(split.train) / len(ml100k) - 0.8) < 0.02


def test_random_split_small_users_follow_recbole_rounding() -> None:
    users = ["a"] * 2 + ["b"] * 5 + ["c"]
    split = split_random(Interactions.from_tokens(users, list("pqrstuvw")), seed=0)
    counts = np.stack([per_user(split.train), per_user(split.valid), per_user(split.test)], 1)
    assert counts.tolist() == [[1, 0, 1], [3, 1, 1], [1, 0, 0]]


def test_random_split_runs_on_gowalla(gowalla, tag_rows, assert_partition) -> None:
    tagged = tag_rows(gowalla[0])
    split = split_random(tagged, (0.7, 0.1, 0.2), seed=0)
    assert_partition(tagged, split)
    assert abs(len(split.test) / len(tagged) - 0.2) < 0.02  # int() rounds small users down


def test_temporal_split_orders_each_users_parts_by_time(ml100k: Interactions) -> None:
    split = split_temporal(ml100k, (0.8, 0.1, 0.1))
    latest_train = np.full(ml100k.num_users, -np.inf)
    np.maximum.at(latest_train, split.train.user, split.train.timestamp)
    earliest_test = np.full(ml100k.num_users, np.inf)
    np.minimum.at(earliest_test, split.test.user, split.test.timestamp)
    assert (latest_train <= earliest_test).all()
    np.testing.assert_array_equal(per_user(split.valid), per_user(split_random(ml100k).valid))


def test_leave_one_out_holds_out_each_users_latest(ml100k: Interactions) -> None:
    split = split_leave_one_out(ml100k)
    assert (per_user(split.test) == 1).all() and (per_user(split.valid) == 1).all()
    latest = np.full(ml100k.num_users, -np.inf)
    np.maximum.at(latest, ml100k.user, ml100k.timestamp)
    np.testing.assert_array_equal(split.test.timestamp, latest[split.test.user])


def test_leave_one_out_keeps_a_training_row_for_tiny_users() -> None:
    data = Interactions.from_tokens(["a", "b", "b"], ["x", "x", "y"], timestamp=[1, 1, 2])
    split = split_leave_one_out(data)
    assert per_user(split.train).tolist() == [1, 1] and per_user(split.test).tolist() == [0, 1]
    assert len(split.valid) == 0


def test_predefined_keeps_published_test_set(gowalla, tag_rows, rows_of, assert_partition) -> None:
    data, is_test = gowalla
    tagged = tag_rows(data)
    split = split_predefined(tagged, is_test, valid_ratio=0.1, seed=0)
    assert_partition(tagged, split)
    np.testing.assert_array_equal(rows_of(split.test), np.flatnonzero(is_test))
    train_rows = (~is_test).sum()
    assert abs(len(split.valid) / train_rows - 0.1) < 0.01
    assert (per_user(split.train) >= 1)[np.bincount(data.user[~is_test]) > 0].all()


def test_train_and_valid_moves_validation_into_training(
    ml100k: Interactions, tag_rows, rows_of, assert_partition
) -> None:
    tagged = tag_rows(ml100k)
    split = split_random(tagged, seed=3)
    refit = train_and_valid(split)
    assert_partition(tagged, refit)  # every row still in exactly one part
    assert len(refit.valid) == 0 and refit.test is split.test
    expected = np.concatenate([rows_of(split.train), rows_of(split.valid)])
    np.testing.assert_array_equal(rows_of(refit.train), expected)
    assert refit.seed == split.seed and refit.note == split.note


def test_cold_items_never_reach_training(ml100k: Interactions, tag_rows, rows_of) -> None:
    tagged = tag_rows(ml100k)
    split = split_cold_items(tagged, cold_fraction=0.2, seed=0)
    cold = split.cold_items
    assert cold is not None and len(cold) == round(0.2 * ml100k.num_items)
    assert not np.isin(split.train.item, cold).any()
    valid_cold = np.unique(split.valid.item[np.isin(split.valid.item, cold)])
    test_cold = np.unique(split.test.item[np.isin(split.test.item, cold)])
    assert len(np.intersect1d(valid_cold, test_cold)) == 0
    assert abs(len(valid_cold) - len(test_cold)) <= 1
    np.testing.assert_array_equal(np.union1d(valid_cold, test_cold), cold)
    # Every interaction of a cold item went with its item; warm ones split ~8:1:1.
    cold_rows = np.flatnonzero(np.isin(ml100k.item, cold))
    held_out = np.concatenate([rows_of(split.valid), rows_of(split.test)])
    assert np.isin(cold_rows, held_out).all()
    warm = len(ml100k) - len(cold_rows)
    assert abs(len(split.train) / warm - 0.8) < 0.02


def test_temporal_cold_items_are_the_newest(ml100k: Interactions) -> None:
    split = split_cold_items(ml100k, cold_fraction=0.2, temporal=True)
    first = np.full(ml100k.num_items, np.inf)
    np.minimum.at(first, ml100k.item, ml100k.timestamp)
    is_cold = np.zeros(ml100k.num_items, dtype=bool)
    is_cold[split.cold_items] = True
    assert first[is_cold].min() >= first[~is_cold].max()
    valid_cold = np.unique(split.valid.item[is_cold[split.valid.item]])
    test_cold = np.unique(split.test.item[is_cold[split.test.item]])
    assert first[valid_cold].max() <= first[test_cold].min()  # older half validates


def test_split_errors(ml100k: Interactions) -> None:
    untimed = Interactions.from_tokens(["a", "b"], ["x", "y"])
    with pytest.raises(DataError, match="split_temporal needs timestamps"):
        split_temporal(untimed)
    with pytest.raises(ConfigError, match=r"ratios \[0\.8, 0\.2\]"):
        split_random(ml100k, (0.8, 0.2))
    with pytest.raises(DataError, match=r"parts has shape \(3,\) for 100000"):
        split_predefined(ml100k, np.zeros(3, dtype=bool))
    with pytest.raises(DataError, match="gives 0 cold items"):
        split_cold_items(untimed, cold_fraction=0.1)
