"""Deterministic top-K ranking over full score matrices, the input to every top-K metric.

``torch.topk`` is fast but says nothing about which of several equal scores it keeps or in what
order it returns them, so metrics computed from it could change between runs, devices or torch
versions. Here ties are always broken by the lower item index, which also lets a plain
``sorted`` reference check the result exactly. The exact tie-breaking costs extra full-row work
only for rows whose k-th score is shared with an item outside the top k.
"""

from __future__ import annotations

import torch
from torch import Tensor


def top_k_items(scores: Tensor, k: int) -> Tensor:
    """Indices of each row's ``k`` highest scores, ties broken by the lower item index.

    Args:
        scores: Float scores, shape ``[B, N]``, with excluded items already set to ``-inf``
            (they then rank last, among themselves by index). Must not contain NaN.
        k: Number of items to return per row; a ``k`` above ``N`` is clamped to ``N``, since a
            row cannot rank more items than it has.

    Returns:
        Long tensor of shape ``[B, min(k, N)]``; row ``b`` lists item indices by descending
        score, equal scores in ascending index order.

    Raises:
        ValueError: If ``scores`` is not 2-D or ``k`` is below 1.
    """
    if scores.dim() != 2:
        raise ValueError(f"scores must have shape [B, N], got {tuple(scores.shape)}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    k = min(k, scores.shape[1])
    return _order_by_score_then_index(scores, _top_k_set(scores, k))


def _top_k_set(scores: Tensor, k: int) -> Tensor:
    """Each row's top-k item set, ties at the k-th score going to the lower index; ``[B, k]``."""
    if k == scores.shape[1]:
        # Every item is in the top k; only their order is left to decide.
        return torch.arange(k, device=scores.device).expand(scores.shape[0], k)
    values, candidates = torch.topk(scores, k + 1, dim=1)
    candidates = candidates[:, :k]
    kth = values[:, k - 1 : k]
    # The extra item shows whether the k-th score is shared with an item outside the top k,
    # the only case where topk's arbitrary choice among tied items changes the top-k set.
    spills = values[:, k] == values[:, k - 1]
    if spills.any():
        rows = spills.nonzero().squeeze(1)
        candidates[rows] = _exact_selection(scores[rows], kth[rows], k)
    return candidates


def _exact_selection(scores: Tensor, kth: Tensor, k: int) -> Tensor:
    """Each row's top-k item set, taking the lowest-index items among those tied at ``kth``.

    Returns ``[R, k]`` item indices in no particular order.
    """
    items = scores.shape[1]
    # An integer key that puts every item above the k-th score first (there are fewer than k),
    # then the tied items by ascending index, then the rest; topk over it is then exact.
    by_index = torch.arange(items, 0, -1, dtype=torch.int32, device=scores.device)
    key = torch.where(scores > kth, items + 1, torch.where(scores == kth, by_index, 0))
    return torch.topk(key, k, dim=1).indices


def _order_by_score_then_index(scores: Tensor, candidates: Tensor) -> Tensor:
    """Sort each row's candidate items by descending score, equal scores by ascending index."""
    by_index = candidates.sort(dim=1).values
    # A stable sort keeps the ascending-index order among equal scores.
    order = scores.gather(1, by_index).sort(dim=1, descending=True, stable=True).indices
    return by_index.gather(1, order)


def hit_matrix(top_items: Tensor, target: Tensor) -> Tensor:
    """Whether each ranked item is relevant, the only per-item input top-K metrics need.

    Args:
        top_items: Ranked item indices, shape ``[B, k]``, as from :func:`top_k_items`.
        target: Relevance, shape ``[B, N]``; nonzero (``True``) marks a relevant item.

    Returns:
        Bool tensor of shape ``[B, k]``: ``True`` where the item at that rank is relevant.

    Raises:
        ValueError: If the two tensors are not 2-D with the same number of rows.
    """
    if top_items.dim() != 2 or target.dim() != 2 or top_items.shape[0] != target.shape[0]:
        raise ValueError(
            f"top_items [B, k] and target [B, N] must share B, got {tuple(top_items.shape)} "
            f"and {tuple(target.shape)}"
        )
    return target.gather(1, top_items).bool()


def hit_matrix_from_pairs(
    top_items: Tensor, rel_row: Tensor, rel_item: Tensor, num_items: int
) -> Tensor:
    """:func:`hit_matrix` from relevant ``(row, item)`` pairs, without a dense ``[B, N]`` target.

    Evaluation batches know their few held-out items as pairs; building and reducing a dense
    boolean target over the whole catalogue would cost more than the ranking itself.

    Args:
        top_items: Ranked item indices, shape ``[B, k]``.
        rel_row: Row (user in the batch) of each relevant pair.
        rel_item: Item of each relevant pair.
        num_items: Catalogue size ``N`` (items are ``0..N-1``).
    """
    keys = torch.sort(rel_row.long() * num_items + rel_item.long()).values
    if keys.numel() == 0:
        return torch.zeros_like(top_items, dtype=torch.bool)
    rows = torch.arange(top_items.shape[0], device=top_items.device).unsqueeze(1)
    candidates = rows * num_items + top_items
    found = torch.searchsorted(keys, candidates).clamp(max=keys.numel() - 1)
    return keys[found] == candidates
