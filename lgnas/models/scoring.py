"""Training scores of a batch: the rows it gathers and its sampled negatives' scores.

On CPU a gather by ``index_select`` is 3–5x cheaper than tensor indexing through backward
(``index_add`` against an accumulating ``index_put``), and with many negatives per user on a
small catalogue, scoring every item is cheaper than gathering the sampled ones.
"""

from __future__ import annotations

from torch import Tensor

DENSE_RATIO = 32
"""Score every item and pick the sampled ones when the catalogue has at most this many items
per sampled negative: one ``[B, d] @ [d, items]`` product then costs less than gathering
``B·K`` rows and scattering their gradients back (on ml-100k, 2 threads: 2x faster at 26
items per negative, 2–4x slower at 105)."""


def rows(table: Tensor, index: Tensor) -> Tensor:
    """``table[index]`` for a row index of any shape: ``[*index.shape, d]``."""
    return table.index_select(0, index.reshape(-1)).view(*index.shape, table.shape[-1])


def sampled_scores(users: Tensor, items: Tensor, negatives: Tensor) -> Tensor:
    """Dot products of each user's row with its sampled items' rows.

    Args:
        users: The batch's user rows, ``[B, d]``.
        items: Every item's row, ``[items, d]``.
        negatives: Sampled item ids, ``[B, K]``.

    Returns:
        ``[B, K]`` scores; the same values however they are computed, up to float rounding.
    """
    if len(items) <= DENSE_RATIO * negatives.shape[1]:
        return (users @ items.T).gather(1, negatives)
    return (users.unsqueeze(1) * rows(items, negatives)).sum(-1)


__all__ = ["DENSE_RATIO", "rows", "sampled_scores"]
