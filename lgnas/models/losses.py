"""Ranking losses: each positive's score against its negatives' scores.

Most losses see the positives' and the sampled negatives' scores; those in
:data:`EVERY_ITEM_LOSSES` see the scores of every item in the catalogue and the positives'
item ids instead (the module decides which to compute).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from lgnas.errors import ConfigError


def bpr_loss(pos: Tensor, neg: Tensor) -> Tensor:
    """Bayesian personalised ranking: ``-log σ(s⁺ - s⁻)``, averaged over negatives and batch.

    Args:
        pos: Scores of the positives, ``[B]``.
        neg: Scores of the sampled negatives, ``[B, n]``.
    """
    return -F.logsigmoid(pos.unsqueeze(1) - neg).mean()


def bce_loss(pos: Tensor, neg: Tensor) -> Tensor:
    """Binary cross-entropy with positives labelled 1 and sampled negatives labelled 0."""
    pos_term = F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
    neg_term = F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg), reduction="none")
    return pos_term + neg_term.sum(1).mean()


def sampled_softmax_loss(pos: Tensor, neg: Tensor) -> Tensor:
    """Softmax cross-entropy of each positive against its sampled negatives.

    Negatives are uniform, so no log-Q correction is needed.
    """
    logits = torch.cat([pos.unsqueeze(1), neg], dim=1)
    return F.cross_entropy(logits, torch.zeros(len(pos), dtype=torch.long, device=pos.device))


def full_softmax_loss(every: Tensor, positives: Tensor) -> Tensor:
    """Softmax cross-entropy of each positive against the whole catalogue.

    The exact loss that sampled softmax estimates: ``logsumexp(s) - s⁺`` over every item's
    score ``s``. It costs one ``[B, n_items]`` product per step: cheap for thousands of
    items (on ml-100k it beats every sampled loss, BENCHMARKS.md). Computed as
    ``cross_entropy``, whose fused softmax makes it ~1.5x faster than the formula.

    Args:
        every: Scores of every item, ``[B, n_items]``.
        positives: Each row's positive item id, ``[B]`` (its score is in ``every``).
    """
    return F.cross_entropy(every, positives)


LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "bpr": bpr_loss,
    "bce": bce_loss,
    "softmax": sampled_softmax_loss,
    "full_softmax": full_softmax_loss,
}
# Losses of every item's scores and the positives' ids, not of positive and negative scores.
EVERY_ITEM_LOSSES = frozenset({"full_softmax"})


def get_loss(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """The loss function called ``name``."""
    if name not in LOSSES:
        raise ConfigError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}")
    return LOSSES[name]
