"""What the training tests share: a small split and full ranking by its definition."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from lgnas.data.interactions import Interactions
from lgnas.data.splits import Split, split_random

Reference = Callable[..., dict[str, float]]


@pytest.fixture
def split() -> Split:
    """30 users with 12 of 40 items each, split 60/20/20 per interaction."""
    rng = np.random.default_rng(1)
    users = np.repeat(np.arange(30), 12)
    items = np.concatenate([rng.choice(40, 12, replace=False) for _ in range(30)])
    return split_random(Interactions.from_tokens(users, items), (0.6, 0.2, 0.2), seed=0)


def brute_force_ranking(
    scores: np.ndarray,
    masked: Sequence[Interactions],
    relevant: Interactions,
    k: int = 5,
    prefix: str = "",
) -> dict[str, float]:
    """Recall@k and NDCG@k by their definitions: masked items out, ties to the lower index."""
    recall, ndcg = [], []
    for user in np.unique(relevant.user):
        seen = {int(i) for part in masked for i in part.item[part.user == user]}
        wanted = set(relevant.item[relevant.user == user].tolist())
        ranked = sorted(
            (i for i in range(scores.shape[1]) if i not in seen),
            key=lambda i: (-scores[user, i], i),
        )[:k]
        hits = [item in wanted for item in ranked]
        recall.append(sum(hits) / len(wanted))
        ideal = sum(1 / math.log2(r + 2) for r in range(min(len(wanted), k)))
        ndcg.append(sum(h / math.log2(r + 2) for r, h in enumerate(hits)) / ideal)
    return {
        f"{prefix}recall@{k}": float(np.mean(recall)),
        f"{prefix}ndcg@{k}": float(np.mean(ndcg)),
    }


@pytest.fixture
def reference() -> Reference:
    """:func:`brute_force_ranking`, the metrics every fitted model is checked against."""
    return brute_force_ranking
