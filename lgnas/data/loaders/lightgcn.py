"""LightGCN benchmark files (``train.txt``/``test.txt``: ``user item item ...`` per line)."""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import numpy as np

from lgnas.data.interactions import Interactions, as_tokens
from lgnas.data.loaders._text import require_dir, require_file
from lgnas.errors import DataError


def load_lightgcn(path: str | Path) -> tuple[Interactions, np.ndarray]:
    """Load a LightGCN-format folder; returns all interactions and a bool ``is_test`` mask.

    Ids in these files are already dense and 0-based, so they are kept as they are
    (token ``"17"`` is dense id 17): results then line up with published numbers on the
    same split. Lines holding only a user id (a user with no items) are allowed.
    """
    folder = require_dir(path, "LightGCN dataset folder (with train.txt, test.txt)")
    parts = [
        _read_adjacency(require_file(folder / name, "LightGCN split file"))
        for name in ("train.txt", "test.txt")
    ]
    user = np.concatenate([part[0] for part in parts])
    item = np.concatenate([part[1] for part in parts])
    if len(user) == 0:
        raise DataError(
            f"{folder}: train.txt and test.txt hold no interactions; expected lines of "
            "'user item item ...'."
        )
    is_test = np.zeros(len(user), dtype=bool)
    is_test[len(parts[0][0]) :] = True
    # Users listed without items still belong to the id space.
    num_users = max(part[2] for part in parts) + 1
    num_items = int(item.max()) + 1
    data = Interactions(
        user=user,
        item=item,
        rating=None,
        timestamp=None,
        user_ids=as_tokens(np.arange(num_users)),
        item_ids=as_tokens(np.arange(num_items)),
    )
    return data, is_test


def _read_adjacency(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """One file's (user, item) pairs and its largest listed user id (-1 if none).

    Vectorised: a single int conversion for all tokens, then repeat users per line.
    """
    with path.open(encoding="utf-8", errors="replace") as handle:
        lines = [line.split() for line in handle]
    numbered = [(number, tokens) for number, tokens in enumerate(lines, 1) if tokens]
    flat = list(chain.from_iterable(tokens for _, tokens in numbered))
    try:
        ids = np.array(flat, dtype=np.int64)
    except (ValueError, OverflowError):
        ids = None
    if ids is None or (len(ids) and ids.min() < 0):
        line, token = _first_bad(numbered)
        raise DataError(
            f"{path}, line {line}: {token!r} is not a non-negative integer id; LightGCN "
            "files hold 'user item item ...' with 0-based integer ids. Use the csv or "
            "atomic format for other ids."
        )
    if not numbered:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), -1
    lengths = np.array([len(tokens) for _, tokens in numbered], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    is_user = np.zeros(len(ids), dtype=bool)
    is_user[starts] = True
    user = np.repeat(ids[starts], lengths - 1)
    return user, ids[~is_user], int(ids[starts].max())


def _first_bad(numbered: list[tuple[int, list[str]]]) -> tuple[int, str]:
    for number, tokens in numbered:
        for token in tokens:
            if not (token.isascii() and token.isdigit()):
                return number, token
    return -1, ""
