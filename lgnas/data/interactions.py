"""The one in-memory form every loader, preprocessing step and split produces and consumes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lgnas.errors import DataError


@dataclass(frozen=True, eq=False)  # numpy fields: compare arrays, not objects
class Interactions:
    """User-item interactions with dense ids plus the maps back to the user's own tokens.

    ``user``/``item`` hold dense ids (``0..num_users-1``, ``0..num_items-1``) so models can
    index embedding tables directly; ``user_ids[u]``/``item_ids[i]`` give the original token
    so rankings can be reported in the data owner's ids. Id maps are shared by every subset
    of the same data, so users/items with no rows in a subset still count in ``num_users``.
    ``item_features`` maps a side-table column name to strings aligned with dense item ids
    (``""`` where the side table had no row for an item).
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray | None
    timestamp: np.ndarray | None
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_features: dict[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        n = len(self.user)
        for name in ("item", "rating", "timestamp"):
            column = getattr(self, name)
            if column is not None and len(column) != n:
                raise DataError(
                    f"Interactions column {name!r} has {len(column)} rows but 'user' has {n}; "
                    "all per-interaction columns must have the same length."
                )
        if n:
            for name, ids, size in (
                ("user", self.user, len(self.user_ids)),
                ("item", self.item, len(self.item_ids)),
            ):
                low, high = int(ids.min()), int(ids.max())
                if low < 0 or high >= size:
                    raise DataError(
                        f"Interactions column {name!r} holds dense id {low if low < 0 else high}"
                        f" outside 0..{size - 1} (the length of {name}_ids); build "
                        "Interactions with Interactions.from_tokens to get consistent ids."
                    )
        for key, column in (self.item_features or {}).items():
            if len(column) != len(self.item_ids):
                raise DataError(
                    f"item feature {key!r} has {len(column)} values for "
                    f"{len(self.item_ids)} items; side-table columns must align with item_ids."
                )

    @property
    def num_users(self) -> int:
        """Size of the user id space (not only users present in this subset)."""
        return len(self.user_ids)

    @property
    def num_items(self) -> int:
        """Size of the item id space (not only items present in this subset)."""
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.user)

    def subset(self, index_or_mask: ArrayLike) -> Interactions:
        """Rows selected by an index array or boolean mask, with the same id maps."""
        index = np.asarray(index_or_mask)
        if index.dtype == bool and len(index) != len(self):
            raise DataError(f"subset mask has {len(index)} entries for {len(self)} interactions.")

        def take(column: np.ndarray | None) -> np.ndarray | None:
            return None if column is None else column[index]

        return Interactions(
            user=self.user[index],
            item=self.item[index],
            rating=take(self.rating),
            timestamp=take(self.timestamp),
            user_ids=self.user_ids,
            item_ids=self.item_ids,
            item_features=self.item_features,
        )

    @classmethod
    def from_tokens(
        cls,
        users: ArrayLike,
        items: ArrayLike,
        rating: ArrayLike | None = None,
        timestamp: ArrayLike | None = None,
        item_table: Mapping[str, ArrayLike] | None = None,
        item_key: str = "item_id",
    ) -> Interactions:
        """Build Interactions from arbitrary user/item tokens (ints, strings, UUIDs).

        Tokens are remapped densely and never rejected: integer-like tokens are ordered
        numerically (so MovieLens item "1" gets dense id 0), anything else lexicographically.
        ``item_table`` is a side table of columns, one of them ``item_key`` holding item
        tokens; other columns become ``item_features``. Rows for items that never occur
        in the interactions are ignored; the first row of a repeated item wins.
        """
        user, user_ids = _densify(users)
        item, item_ids = _densify(items)
        features = _align_item_table(item_table, item_key, item_ids) if item_table else None
        return cls(
            user=user,
            item=item,
            rating=None if rating is None else np.asarray(rating, dtype=np.float32),
            timestamp=None if timestamp is None else np.asarray(timestamp, dtype=np.float64),
            user_ids=user_ids,
            item_ids=item_ids,
            item_features=features,
        )


def as_tokens(values: ArrayLike) -> np.ndarray:
    """Tokens as a numpy str array, the one representation id maps use."""
    array = np.asarray(values)
    if array.dtype.kind == "U":
        return array
    if array.dtype.kind == "O":
        return np.array([str(v) for v in array.tolist()], dtype=str)
    return array.astype(str)


def _densify(tokens: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Dense int64 codes and the ordered unique tokens they index."""
    array = np.asarray(tokens)
    if array.ndim != 1:
        array = array.reshape(-1)
    if array.dtype.kind in "iub":
        unique, codes = np.unique(array, return_inverse=True)
        return codes.astype(np.int64), as_tokens(unique)
    unique, codes = np.unique(as_tokens(array), return_inverse=True)
    try:
        numeric = unique.astype(np.int64)
    except (ValueError, OverflowError):
        return codes.astype(np.int64), unique
    # Integer-like tokens read best in numeric order; the string key keeps "07" and "7" apart.
    order = np.lexsort((unique, numeric))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[codes].astype(np.int64), unique[order]


def _align_item_table(
    table: Mapping[str, ArrayLike], key: str, item_ids: np.ndarray
) -> dict[str, np.ndarray]:
    """Side-table columns re-ordered to dense item ids, "" where an item has no row."""
    if key not in table:
        raise DataError(
            f"item side table has no {key!r} column (columns: {sorted(table)}); "
            "pass item_key naming the column that holds item ids."
        )
    keys = as_tokens(table[key])
    order = np.argsort(item_ids)
    sorted_ids = item_ids[order]
    pos = np.searchsorted(sorted_ids, keys)
    pos_clipped = np.minimum(pos, max(len(sorted_ids) - 1, 0))
    known = (pos < len(sorted_ids)) & (sorted_ids[pos_clipped] == keys)
    # np.unique's return_index picks each item's first row, so a repeated item keeps it.
    dense, first = np.unique(order[pos_clipped[known]], return_index=True)
    rows = np.flatnonzero(known)[first]
    features: dict[str, np.ndarray] = {}
    for name, values in table.items():
        if name == key:
            continue
        column = as_tokens(values)
        if len(column) != len(keys):
            raise DataError(
                f"item side table column {name!r} has {len(column)} values but {key!r} "
                f"has {len(keys)}; every column needs one value per row."
            )
        aligned = np.full(len(item_ids), "", dtype=column.dtype if len(column) else str)
        aligned[dense] = column[rows]
        features[name] = aligned
    return features
