"""Shown-but-not-clicked impressions drawn for data that records clicks only.

Implicit data (check-ins, purchases) has no non-clicks, so click-through prediction cannot be
trained or judged on it as it is. The usual protocol (RippleNet, KGCN, KGNN-LS) draws, for
each observed interaction, items the user never interacted with and labels them not clicked.
The draws are seeded and uniform over each user's unobserved items, distinct within a user,
so the same config gives the same impressions on any machine. An unobserved item is not
known to be disliked: such a task measures how well a model tells a user's items from
random others, which is what these papers report as CTR AUC.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.errors import ConfigError

CLICK, NOT_CLICKED = 1.0, 0.0
"""The labels written to ``rating`` (the dataset's ``click_threshold`` is then 1)."""


def add_non_clicks(
    data: Interactions, per_click: int, seed: int
) -> tuple[Interactions, np.ndarray]:
    """Every row of ``data`` as a click plus ``per_click`` drawn non-clicks per row.

    Returns:
        The labelled impressions (``rating`` 1 for the given rows, 0 for the drawn ones, which
        come after them; a drawn row keeps its click's timestamp), and per impression the
        index of the given row it belongs to (to carry a predefined split along).

    Raises:
        ConfigError: ``per_click`` is not a positive integer, or a user interacted with too
            many items to leave ``per_click`` unobserved ones per interaction.
    """
    if isinstance(per_click, bool) or not isinstance(per_click, int) or per_click < 1:
        raise ConfigError(
            f"sampled_non_clicks.per_click={per_click!r} must be a positive integer (drawn "
            "non-clicks per click)."
        )
    num_items = data.num_items
    seen = np.unique(data.user.astype(np.int64) * num_items + data.item)
    counts = np.bincount(data.user, minlength=data.num_users)
    needed = counts * (per_click + 1)
    if (needed > num_items).any():
        user = int(np.argmax(needed - num_items))
        raise ConfigError(
            f"sampled_non_clicks.per_click={per_click}: user {str(data.user_ids[user])!r} has "
            f"{counts[user]} interactions and only {num_items - counts[user]} other items to "
            "draw non-clicks from; lower per_click (or filter such users out)."
        )
    source = np.repeat(np.arange(len(data)), per_click)
    user = data.user[source].astype(np.int64)
    item = _draw(user, seen, num_items, np.random.default_rng(seed))
    rows = np.concatenate([np.arange(len(data)), source])
    labels = np.concatenate([np.full(len(data), CLICK), np.full(len(source), NOT_CLICKED)])
    timestamp = None if data.timestamp is None else data.timestamp[rows]
    impressions = dataclasses.replace(
        data,
        user=data.user[rows],
        item=np.concatenate([data.item, item]),
        rating=labels,
        timestamp=timestamp,
    )
    return impressions, rows


def _draw(
    user: np.ndarray, seen: np.ndarray, num_items: int, rng: np.random.Generator
) -> np.ndarray:
    """One item per entry of ``user``, unobserved by that user (``seen``: sorted
    ``user * num_items + item`` keys), distinct among that user's draws. Rejected draws are
    drawn again until none is left."""
    item = np.empty(len(user), dtype=np.int64)
    pending = np.arange(len(user))
    taken = seen
    while len(pending):
        candidate = rng.integers(0, num_items, size=len(pending))
        key = user[pending] * num_items + candidate
        fresh = ~np.isin(key, taken)
        # Two pending draws of one user on one item: the first keeps it.
        _, first = np.unique(key, return_index=True)
        once = np.zeros(len(pending), dtype=bool)
        once[first] = True
        ok = fresh & once
        item[pending[ok]] = candidate[ok]
        taken = np.union1d(taken, key[ok])
        pending = pending[~ok]
    return item
