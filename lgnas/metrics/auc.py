"""Exact area under the ROC curve, ties counted one half: per row of a full-ranking score
matrix and per group of labelled pairs.

AUC is the share of (positive, negative) pairs whose positive scores higher, a tied pair
counting one half. Both functions count the pairs in each order and the tied ones from sorted
scores, so the result is exact (no thresholds or bins) and costs ``O(n log n)`` rather than
the ``O(P N)`` of comparing every pair.
"""

from __future__ import annotations

import torch
from torch import Tensor


def row_auc(scores: Tensor, rel_row: Tensor, rel_item: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Each row's AUC of its relevant items against its other, unmasked items.

    A row holds few relevant items and many others, so the relevant scores are sorted (a
    ``[B, most relevant]`` matrix) and every other item looks up how many lie above and tied
    with it: sorting the whole ``[B, N]`` matrix would cost several times the ranking itself.

    Args:
        scores: Float scores ``[B, N]``; ``-inf`` marks an excluded (masked) item, which is
            neither a positive nor a negative. Must not hold NaN.
        rel_row: Row of each relevant ``(row, item)`` pair (no pair twice).
        rel_item: Item of each relevant pair.

    Returns:
        ``(auc, positives, negatives)``, each ``[B]``: the float64 AUC (0 where a row lacks
        one of the two classes) and the counts of unmasked relevant and other items.
    """
    rows = scores.shape[0]
    rel_row, rel_item = rel_row.long(), rel_item.long()
    counts = torch.bincount(rel_row, minlength=rows)
    order = torch.argsort(rel_row, stable=True)
    row, item = rel_row[order], rel_item[order]
    column = torch.arange(len(row), device=row.device) - (counts.cumsum(0) - counts)[row]
    width = int(counts.max()) if len(row) else 0
    # Padding and masked relevant items are -inf: below every negative, so never counted.
    positive = scores.new_full((rows, width), -torch.inf)
    positive[row, column] = scores[row, item]
    positive = positive.sort(dim=1).values
    negative = scores > -torch.inf
    negative[row, item] = False
    below = torch.searchsorted(positive, scores, out_int32=True)  # positives below each item
    # Only a negative scored exactly like some positive needs a second search for the ties.
    if width and _ties(positive, scores, below, negative):
        not_above = torch.searchsorted(positive, scores, right=True, out_int32=True)
    else:
        not_above = below
    # Positives above a negative plus half the tied ones: width - (below + not_above) / 2.
    halves = (below + not_above).masked_fill_(~negative, 0).sum(1, dtype=torch.int64)
    negatives = negative.sum(1)
    wins = width * negatives - halves.double() / 2
    positives = (positive > -torch.inf).sum(1)
    return wins / (positives * negatives).clamp(min=1), positives, negatives


def _ties(positive: Tensor, scores: Tensor, below: Tensor, negative: Tensor) -> bool:
    """Whether any negative item's score equals one of its row's positive scores, which
    ``below`` (each item's insertion point among the sorted positives) points at."""
    at = positive.gather(1, below.long().clamp_(max=positive.shape[1] - 1))
    return bool(((at == scores) & negative).any())


def grouped_auc(scores: Tensor, labels: Tensor, groups: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Each group's AUC of its positive against its negative pairs (``groups`` need not be dense).

    Args:
        scores: Float scores ``[n]`` (no NaN).
        labels: ``[n]``, nonzero for a positive.
        groups: Integer group of each pair ``[n]``, e.g. the user.

    Returns:
        ``(auc, positives, negatives)``, each ``[G]`` for the ``G`` distinct groups in
        ascending order: float64 AUC (0 where a group lacks one class) and the class counts.
    """
    _, group = torch.unique(groups, return_inverse=True)
    num_groups = int(group.max()) + 1 if len(group) else 0
    order = torch.argsort(scores, stable=True)
    order = order[torch.argsort(group[order], stable=True)]  # by group, then by score
    group, score, positive = group[order], scores[order], labels[order].bool()
    # A block is a run of equal scores within one group: its pairs tie with each other.
    starts = torch.ones_like(positive)
    starts[1:] = (group[1:] != group[:-1]) | (score[1:] != score[:-1])
    block = starts.cumsum(0) - 1
    blocks = int(block[-1]) + 1 if len(block) else 0
    negative_in_block = scores.new_zeros(blocks, dtype=torch.float64)
    negative_in_block.index_add_(0, block, (~positive).double())
    negatives_before = negative_in_block.cumsum(0) - negative_in_block
    # Counts run over the whole sorted array; a group's own count starts at its first block.
    first = torch.ones_like(positive)
    first[1:] = group[1:] != group[:-1]
    group_start = scores.new_zeros(num_groups, dtype=torch.float64)
    group_start[group[first]] = negatives_before[block[first]]
    below = negatives_before[block] - group_start[group]
    win = torch.where(positive, below + negative_in_block[block] / 2, 0.0)
    wins = scores.new_zeros(num_groups, dtype=torch.float64).index_add_(0, group, win)
    positives = torch.bincount(group, weights=positive.double(), minlength=num_groups).long()
    negatives = torch.bincount(group, minlength=num_groups) - positives
    return wins / (positives * negatives).clamp(min=1), positives, negatives
