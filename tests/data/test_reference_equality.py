"""The vectorised data steps equal plain per-row references on small random data.

Dedup, id compaction, the per-user splits and the per-user item index group and order rows
with whole-array sorts (``lgnas.graph.ordering``) so that tens of millions of interactions
take seconds. The references here loop over rows and users the way the definitions read, so a
vectorisation that breaks a tie or a group differently fails here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

from lgnas.data.datamodule import UserItemIndex
from lgnas.data.interactions import Interactions, as_tokens
from lgnas.data.preprocess import DEDUP_KEEPS, compact, dedup_rows
from lgnas.data.splits import Split, ratio_counts, split_random, split_temporal

RATIOS = (0.6, 0.25, 0.15)


def _random_data(seed: int, timed: bool = True) -> Interactions:
    """Repeated pairs, tied timestamps, and users and items without any row."""
    rng = np.random.default_rng(seed)
    rows, users, items = 400, 40, 30
    user = rng.choice(rng.permutation(users)[:25], size=rows)
    item = rng.choice(rng.permutation(items)[:20], size=rows)
    return Interactions(
        user=user,
        item=item,
        rating=np.arange(rows, dtype=np.float32),  # the row number, to trace rows
        timestamp=rng.integers(0, 15, rows).astype(np.float64) if timed else None,
        user_ids=as_tokens(np.arange(users) * 10),
        item_ids=as_tokens(np.arange(items) * 7),
        item_features={"community": as_tokens(np.arange(items) % 3)},
    )


def _reference_dedup(data: Interactions, keep: str) -> list[int]:
    """Each pair's row ranked highest by the policy: ``last`` the latest by timestamp, the
    later row on equal times (or untimed); ``first`` the opposite; ``max`` the highest
    rating, then as ``last``."""
    best: dict[tuple[int, int], tuple[tuple[float, ...], int]] = {}
    for row in range(len(data)):
        time = data.timestamp[row] if data.timestamp is not None else 0.0
        rank = {
            "last": (time, row),
            "first": (-time, -row),
            "max": (data.rating[row], time, row),
        }[keep]
        pair = (int(data.user[row]), int(data.item[row]))
        best[pair] = max(best.get(pair, (rank, row)), (rank, row))
    return sorted(row for _, row in best.values())


@pytest.mark.parametrize("keep", sorted(DEDUP_KEEPS))
@pytest.mark.parametrize("timed", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_dedup_keeps_the_rows_the_reference_keeps(seed: int, timed: bool, keep: str) -> None:
    data = _random_data(seed, timed)
    data = dataclasses.replace(data, rating=data.rating % 3)  # tied ratings for ``max``
    kept = dedup_rows(data, keep)
    assert kept.tolist() == _reference_dedup(data, keep)
    assert len(kept) < len(data)  # the data had repeated pairs to drop


@pytest.mark.parametrize("seed", range(4))
def test_compaction_renumbers_as_the_reference_does(seed: int) -> None:
    data = _random_data(seed)
    dense = compact(data)
    users, items = sorted(set(data.user.tolist())), sorted(set(data.item.tolist()))
    assert len(users) < data.num_users and len(items) < data.num_items  # some ids dropped
    assert dense.user.tolist() == [users.index(u) for u in data.user.tolist()]
    assert dense.item.tolist() == [items.index(i) for i in data.item.tolist()]
    assert dense.user_ids.tolist() == [data.user_ids[u] for u in users]
    assert dense.item_ids.tolist() == [data.item_ids[i] for i in items]
    assert dense.item_features["community"].tolist() == [
        data.item_features["community"][i] for i in items
    ]


def _reference_parts(data: Interactions, key: np.ndarray) -> list[int]:
    """Each user's rows ordered by ``key`` (ties in row order) and cut by ``ratio_counts``."""
    part = [-1] * len(data)
    for user in sorted(set(data.user.tolist())):
        rows = sorted(np.flatnonzero(data.user == user), key=lambda r: (key[r], r))
        bounds = np.cumsum(ratio_counts(np.array([len(rows)]), np.array(RATIOS))[0])
        for position, row in enumerate(rows):
            part[row] = int((position >= bounds[:-1]).sum())
    return part


SPLITS: dict[str, tuple[Callable[[Interactions, int], Split], Callable[..., np.ndarray]]] = {
    "random": (
        lambda data, seed: split_random(data, RATIOS, seed=seed),
        lambda data, seed: np.random.default_rng(seed).random(len(data)),  # its shuffle keys
    ),
    "temporal": (
        lambda data, seed: split_temporal(data, RATIOS),
        lambda data, seed: data.timestamp,
    ),
}


@pytest.mark.parametrize("kind", sorted(SPLITS))
@pytest.mark.parametrize("seed", range(4))
def test_per_user_splits_cut_as_the_reference_cuts(
    kind: str, seed: int, tag_rows, assert_partition, rows_of
) -> None:
    raw = _random_data(seed)
    data = tag_rows(compact(raw.subset(dedup_rows(raw))))
    split_of, key_of = SPLITS[kind]
    split = split_of(data, seed)
    assert_partition(data, split)
    parts = (split.train, split.valid, split.test)
    part = np.empty(len(data), dtype=np.int64)
    for label, rows in enumerate(parts):
        part[rows_of(rows)] = label
    assert part.tolist() == _reference_parts(data, key_of(data, seed))
    # Ratios per user and no pair in two parts, whatever the reference says.
    sizes = np.stack([np.bincount(p.user, minlength=data.num_users) for p in parts], axis=1)
    np.testing.assert_array_equal(sizes, ratio_counts(sizes.sum(1), np.array(RATIOS)))
    pairs = [set(zip(p.user.tolist(), p.item.tolist(), strict=True)) for p in parts]
    assert not (pairs[0] & pairs[1] or pairs[0] & pairs[2] or pairs[1] & pairs[2])


@pytest.mark.parametrize("seed", range(3))
def test_user_item_index_lists_each_users_items_in_order(seed: int) -> None:
    data = _random_data(seed)
    first, second = np.array_split(np.arange(len(data)), 2)
    index = UserItemIndex([data.subset(first), data.subset(second)], data.num_users)
    for user in range(data.num_users):
        items = index.item[index.ptr[user] : index.ptr[user + 1]].tolist()
        assert items == sorted(data.item[data.user == user].tolist())
