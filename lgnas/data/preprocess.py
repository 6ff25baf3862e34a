"""Filtering steps applied between loading and splitting, as recommender papers do.

Each public step returns new Interactions. The ``*_rows`` variants return the kept row
indices instead, so a caller can keep per-row side information (such as a predefined
``is_test`` mask) aligned with the filtered data.
"""

from __future__ import annotations

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.data.splits import TRAIN
from lgnas.errors import DataError
from lgnas.graph.ordering import lexsort


def to_implicit(data: Interactions, threshold: float | None) -> Interactions:
    """Keep interactions rated ``>= threshold`` as positives; ``None`` keeps every row.

    Ratings are kept (models may use them as weights).
    """
    return data.subset(implicit_rows(data, threshold))


def implicit_rows(data: Interactions, threshold: float | None) -> np.ndarray:
    """Row indices :func:`to_implicit` keeps."""
    if threshold is None:
        return np.arange(len(data))
    if data.rating is None:
        raise DataError(
            f"to_implicit: rating_threshold={threshold} needs ratings, but this data has "
            "no rating column; set rating_threshold to null or load the rating column."
        )
    kept = np.flatnonzero(data.rating >= threshold)
    _require_rows(kept, f"to_implicit (rating_threshold={threshold})", data)
    return kept


DEDUP_KEEPS = {
    "last": "the latest (by timestamp, else the last in file order)",
    "first": "the earliest (by timestamp, else the first in file order)",
    "max": "the highest rating (ties: the latest)",
}
"""What each ``dedup`` policy keeps of a repeated (user, item) pair."""


def deduplicate(data: Interactions, keep: str = "last") -> Interactions:
    """One row per (user, item), chosen by ``keep`` (:data:`DEDUP_KEEPS`).

    Repeated interactions would otherwise land in both train and test of a split.
    """
    return data.subset(dedup_rows(data, keep))


def dedup_rows(data: Interactions, keep: str = "last") -> np.ndarray:
    """Row indices :func:`deduplicate` keeps, in their original order."""
    if keep not in DEDUP_KEEPS:
        raise DataError(f"dedup keep={keep!r} is unknown; valid: {sorted(DEDUP_KEEPS)}.")
    # Sort keys, least significant first; equal keys keep file order (the sorts are stable).
    keys = [] if data.timestamp is None else [data.timestamp]
    if keep == "max":
        if data.rating is None:
            raise DataError(
                "dedup=max keeps the highest rating, but this data has no rating column; "
                "load one, or use dedup=last or first."
            )
        keys.append(data.rating)
    pair = data.user.astype(np.int64) * data.num_items + data.item
    order = lexsort((*keys, pair))
    pair = pair[order]
    boundary = pair[1:] != pair[:-1]
    chosen = np.ones(len(order), dtype=bool)
    if keep == "first":
        chosen[1:] = boundary
    else:
        chosen[:-1] = boundary
    return np.sort(order[chosen])


def unseen_rows(data: Interactions, parts: np.ndarray) -> np.ndarray:
    """Mask of a published split's validation and test rows whose user or item has no
    training row (``parts`` labels as :mod:`lgnas.data.splits`): nothing was learnt of them."""
    is_train = parts == TRAIN
    seen_users = np.zeros(data.num_users, dtype=bool)
    seen_items = np.zeros(data.num_items, dtype=bool)
    seen_users[data.user[is_train]] = True
    seen_items[data.item[is_train]] = True
    return ~is_train & ~(seen_users[data.user] & seen_items[data.item])


def kcore(data: Interactions, user_k: int, item_k: int) -> Interactions:
    """Repeatedly drop users with < ``user_k`` and items with < ``item_k`` interactions.

    Iterates to a fixed point, since dropping items can push users below ``user_k``.
    """
    return data.subset(kcore_rows(data, user_k, item_k))


def kcore_rows(data: Interactions, user_k: int, item_k: int) -> np.ndarray:
    """Row indices :func:`kcore` keeps, in their original order."""
    kept = np.arange(len(data))
    while True:
        user, item = data.user[kept], data.item[kept]
        user_count = np.bincount(user, minlength=data.num_users)
        item_count = np.bincount(item, minlength=data.num_items)
        ok = (user_count[user] >= user_k) & (item_count[item] >= item_k)
        if ok.all():
            break
        kept = kept[ok]
    _require_rows(kept, f"kcore (user_k={user_k}, item_k={item_k})", data)
    return kept


def subsample_users(data: Interactions, users: int, seed: int = 0) -> Interactions:
    """All interactions of ``users`` users drawn uniformly (seeded) from those with any.

    Users and items left without interactions still count in the id maps until
    :func:`compact` drops them.
    """
    return data.subset(subsample_users_rows(data, users, seed))


def subsample_users_rows(data: Interactions, users: int, seed: int = 0) -> np.ndarray:
    """Row indices :func:`subsample_users` keeps, in their original order.

    The draw depends only on ``seed`` and the set of users with interactions, so the same
    users are kept in every part of a predefined split (their rows are all kept).

    Raises:
        DataError: ``users`` is not between 1 and the number of users with interactions.
    """
    present = np.unique(data.user)
    if not 1 <= users <= len(present):
        raise DataError(
            f"subsample_users: users={users} must be between 1 and the {len(present)} users "
            "with interactions."
        )
    chosen = np.random.default_rng(seed).choice(present, size=users, replace=False)
    return np.flatnonzero(np.isin(data.user, chosen))


def compact(data: Interactions) -> Interactions:
    """Re-densify ids, dropping users/items without interactions.

    Keeps ``user_ids``, ``item_ids`` and ``item_features`` aligned with the new dense
    ids, so results still map back to the original tokens.
    """
    used_users, user = _dense_ids(data.user, data.num_users)
    used_items, item = _dense_ids(data.item, data.num_items)
    features = data.item_features
    if features is not None:
        features = {name: column[used_items] for name, column in features.items()}
    return Interactions(
        user=user.astype(np.int64),
        item=item.astype(np.int64),
        rating=data.rating,
        timestamp=data.timestamp,
        user_ids=data.user_ids[used_users],
        item_ids=data.item_ids[used_items],
        item_features=features,
    )


def _dense_ids(ids: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)`` for ids in ``0..size-1``, by counting: linear
    where ``np.unique`` sorts (seconds on tens of millions of interactions)."""
    present = np.zeros(size, dtype=bool)
    present[ids] = True
    dense = np.cumsum(present) - 1
    return np.flatnonzero(present), dense[ids]


def _require_rows(kept: np.ndarray, step: str, data: Interactions) -> None:
    if len(kept) == 0:
        raise DataError(
            f"{step} removed all {len(data)} interactions; lower the threshold or turn "
            "the step off."
        )
