"""Train/validation/test splits, vectorised per user and seeded with their own Generator.

Every split assigns each row exactly one part (0 train, 1 valid, 2 test) and builds the
parts from that assignment, so no interaction can appear in two parts and all three keep
the input's id maps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from lgnas.data.features import ItemContent
from lgnas.data.interactions import Interactions
from lgnas.errors import ConfigError, DataError
from lgnas.graph.ordering import lexsort

TRAIN, VALID, TEST = 0, 1, 2


@dataclass(frozen=True, eq=False)  # numpy fields: compare arrays, not objects
class Split:
    """The three parts of one dataset; ``cold_items`` lists items never seen in training.

    ``item_content`` holds the items' side features (text embeddings, metadata codes) when
    the dataset config asks for them. ``seed`` is the seed of what the split drew at random
    (``None`` when nothing was drawn) and ``note`` says in one line how it was made, for
    reports; :func:`lgnas.data.catalog.prepare_dataset` fills both. ``click_threshold`` makes
    the rows labelled impressions for the click-through task: a row is a click when its rating
    reaches it, and an impression shown but not clicked below it (``None``: every row is a
    positive).
    """

    train: Interactions
    valid: Interactions
    test: Interactions
    cold_items: np.ndarray | None = None
    item_content: ItemContent | None = None
    seed: int | None = None
    note: str = ""
    click_threshold: float | None = None

    def clicked(self, part: Interactions) -> np.ndarray:
        """Each row's click label (bool) of a part of this split.

        Raises:
            DataError: The split has no click labels or ``part`` no ratings.
        """
        if self.click_threshold is None or part.rating is None:
            raise DataError(
                "this dataset has no click labels; the click-through task needs a dataset "
                "config with click_threshold and a rating (or 0/1 label) column, e.g. "
                "dataset=ml100k_ctr"
            )
        return part.rating >= self.click_threshold


def train_and_valid(split: Split) -> Split:
    """``split`` with its validation rows moved into training and no validation left: what a
    model chosen on validation is refitted on before its one test (the test is unchanged)."""
    train, valid = split.train, split.valid

    def joined(name: str) -> np.ndarray | None:
        first, second = getattr(train, name), getattr(valid, name)
        return None if first is None or second is None else np.concatenate([first, second])

    merged = replace(
        train,
        user=joined("user"),
        item=joined("item"),
        rating=joined("rating"),
        timestamp=joined("timestamp"),
    )
    return replace(split, train=merged, valid=valid.subset(np.zeros(0, np.int64)))


def split_random(
    data: Interactions, ratios: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0
) -> Split:
    """Per-user random split, matching RecBole's ``RS`` with ``group_by: user``.

    Each user's interactions are shuffled and cut by :func:`ratio_counts`.
    """
    rng = np.random.default_rng(seed)
    rank, size = _rank_within_user(data, rng.random(len(data)))
    return _from_parts(data, _cut(rank, data.user, ratio_counts(size, _ratios(ratios, 3))))


def split_temporal(data: Interactions, ratios: Sequence[float] = (0.8, 0.1, 0.1)) -> Split:
    """Per-user split by time: each user's oldest interactions train, newest test.

    Counts follow :func:`ratio_counts`; equal timestamps keep file order.
    """
    rank, size = _rank_within_user(data, _require_time(data, "split_temporal"))
    return _from_parts(data, _cut(rank, data.user, ratio_counts(size, _ratios(ratios, 3))))


def split_leave_one_out(data: Interactions, seed: int = 0) -> Split:
    """Each user's last interaction to test and the one before to validation.

    "Last" is by timestamp when present (ties keep file order), else random. Users keep
    at least one training interaction: with two, the later goes to test and none to
    validation; with one, it stays in training.
    """
    if data.timestamp is not None:
        key = data.timestamp
    else:
        key = np.random.default_rng(seed).random(len(data))
    rank, size = _rank_within_user(data, key)
    n = size[data.user]
    from_end = n - 1 - rank
    part = np.full(len(data), TRAIN, dtype=np.int8)
    part[(from_end == 0) & (n >= 2)] = TEST
    part[(from_end == 1) & (n >= 3)] = VALID
    return _from_parts(data, part)


def split_predefined(
    data: Interactions, parts: np.ndarray, valid_ratio: float = 0.1, seed: int = 0
) -> Split:
    """Keep a published split; carve validation per user out of training if it has none.

    Used for benchmark splits (LightGCN's gowalla, RecBole's benchmark files) so results
    compare with papers and peers.

    Args:
        data: All interactions.
        parts: Per row, ``TRAIN`` (0), ``VALID`` (1) or ``TEST`` (2); booleans mark test rows.
        valid_ratio: Share of each user's training rows moved to validation, used only when
            ``parts`` has no validation rows.
        seed: Seed of that carving.
    """
    parts = np.asarray(parts)
    if parts.shape != (len(data),):
        raise DataError(
            f"split_predefined: parts has shape {parts.shape} for {len(data)} "
            "interactions; it needs one label per interaction."
        )
    parts = np.where(parts, TEST, TRAIN).astype(np.int8) if parts.dtype == bool else parts
    if not np.isin(parts, (TRAIN, VALID, TEST)).all():
        raise DataError(f"split_predefined: parts must hold {TRAIN}, {VALID} or {TEST} only.")
    if (parts == VALID).any():
        return _from_parts(data, parts)
    if not 0.0 <= valid_ratio < 1.0:
        raise ConfigError(f"split_predefined: valid_ratio={valid_ratio} must be in [0, 1).")
    is_test = parts == TEST
    ratios = _ratios((1.0 - valid_ratio, valid_ratio), 2)
    rng = np.random.default_rng(seed)
    key = np.where(is_test, 2.0, rng.random(len(data)))  # test rows rank after train rows
    rank, _ = _rank_within_user(data, key)
    train_size = np.bincount(data.user[~is_test], minlength=data.num_users)
    part = _cut(rank, data.user, ratio_counts(train_size, ratios))
    part[is_test] = TEST
    return _from_parts(data, part)


def split_cold_items(
    data: Interactions,
    cold_fraction: float = 0.2,
    seed: int = 0,
    temporal: bool = False,
    warm_ratios: Sequence[float] = (0.8, 0.1, 0.1),
) -> Split:
    """Item cold-start split in the style of ColdRec.

    ``cold_fraction`` of the items that have interactions become cold: chosen at random,
    or with ``temporal=True`` the items whose first interaction is most recent. None of
    their interactions are trained on; the first half of the cold items (the older half
    when temporal) go to validation and the rest to test, with all their interactions.
    Warm interactions are split per user by ``warm_ratios`` (random, as
    :func:`split_random`) and added to all three parts.
    """
    if not 0.0 < cold_fraction < 1.0:
        raise ConfigError(f"split_cold_items: cold_fraction={cold_fraction} must be in (0, 1).")
    rng = np.random.default_rng(seed)
    present = np.unique(data.item)
    num_cold = int(round(cold_fraction * len(present)))
    if not 2 <= num_cold < len(present):
        raise DataError(
            f"split_cold_items: cold_fraction={cold_fraction} of {len(present)} items with "
            f"interactions gives {num_cold} cold items; need at least 2 (one each for "
            "validation and test) and at least one warm item. Adjust cold_fraction."
        )
    if temporal:
        time = _require_time(data, "split_cold_items(temporal=True)")
        order = np.lexsort((time, data.item))
        first_row = order[np.r_[True, data.item[order][1:] != data.item[order][:-1]]]
        by_first_seen = data.item[first_row][np.argsort(time[first_row], kind="stable")]
        cold = by_first_seen[-num_cold:]  # oldest of the cold items first
    else:
        cold = rng.permutation(present)[:num_cold]
    cold_part = np.full(data.num_items, -1, dtype=np.int8)
    cold_part[cold[: num_cold // 2]] = VALID
    cold_part[cold[num_cold // 2 :]] = TEST

    part = cold_part[data.item]
    warm = np.flatnonzero(part < 0)
    warm_data = data.subset(warm)
    rank, size = _rank_within_user(warm_data, rng.random(len(warm)))
    part[warm] = _cut(rank, warm_data.user, ratio_counts(size, _ratios(warm_ratios, 3)))
    return _from_parts(data, part, cold_items=np.sort(cold))


def ratio_counts(size: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """Per-group part sizes, shape ``(groups, len(ratios))``, by RecBole's rule.

    Non-train part ``j`` gets ``int(ratio_j * n)``, train the rest; then, from the last
    part backwards, a part whose ``ratio_j * n`` lies strictly between 0 and 1 takes one
    interaction from train while train keeps more than one.
    """
    n = size.astype(np.float64)
    wanted = ratios[None, :] * n[:, None]
    counts = np.floor(wanted).astype(np.int64)
    counts[:, 0] = size - counts[:, 1:].sum(axis=1)
    for j in range(len(ratios) - 1, 0, -1):
        bump = (counts[:, 0] > 1) & (wanted[:, j] > 0) & (wanted[:, j] < 1)
        counts[bump, j] += 1
        counts[bump, 0] -= 1
    return counts


def _ratios(ratios: Sequence[float], parts: int) -> np.ndarray:
    """Validated ratios normalised to sum to one (RecBole accepts e.g. ``[8, 1, 1]``)."""
    values = np.asarray(ratios, dtype=np.float64)
    if values.shape != (parts,) or (values < 0).any() or values.sum() <= 0:
        raise ConfigError(
            f"split ratios {list(ratios)} must be {parts} non-negative numbers with a "
            "positive sum, e.g. (0.8, 0.1, 0.1)."
        )
    return values / values.sum()


def _rank_within_user(data: Interactions, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's 0-based position among its user's rows ordered by ``key`` (stable),
    and each user's row count."""
    order = lexsort((key, data.user))
    size = np.bincount(data.user, minlength=data.num_users)
    start = np.cumsum(size) - size
    rank = np.empty(len(data), dtype=np.int64)
    rank[order] = np.arange(len(data)) - start[data.user[order]]
    return rank, size


def _cut(rank: np.ndarray, user: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Part of each row: the first ``counts[u, 0]`` ranks train, the next valid, ..."""
    bounds = np.cumsum(counts, axis=1)
    part = np.zeros(len(rank), dtype=np.int8)
    for end in bounds[:, :-1].T:  # one pass per part boundary, not a row-by-part matrix
        part += rank >= end[user]
    return part


def _require_time(data: Interactions, step: str) -> np.ndarray:
    if data.timestamp is None:
        raise DataError(
            f"{step} needs timestamps, but this data has none; load a timestamp column "
            "or use a random split."
        )
    return data.timestamp


def _from_parts(
    data: Interactions, part: np.ndarray, cold_items: np.ndarray | None = None
) -> Split:
    return Split(
        train=data.subset(part == TRAIN),
        valid=data.subset(part == VALID),
        test=data.subset(part == TEST),
        cold_items=cold_items,
    )
