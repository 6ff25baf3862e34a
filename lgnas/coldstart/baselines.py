"""Non-learned baselines for the cold-start protocol, as scorers for :func:`evaluate_groups`.

None of them reads a cold item's interactions: popularity of a cold item is borrowed from
its nearest warm items by content, and kNN compares content with the user's training items.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from lgnas.coldstart.groups import Scorer
from lgnas.data.splits import Split


def random_scores(num_items: int, seed: int = 0) -> Scorer:
    """Uniform random scores from a seeded generator: the floor every model must beat."""
    generator = torch.Generator().manual_seed(seed)
    return lambda users: torch.rand(len(users), num_items, generator=generator)


def _unit_rows(content: np.ndarray) -> Tensor:
    vectors = torch.as_tensor(content, dtype=torch.float32)
    return vectors / vectors.norm(dim=1, keepdim=True).clamp_min(1e-12)


def neighbour_popularity(split: Split, content: np.ndarray, k: int = 10) -> Scorer:
    """Training popularity; an item with none gets the mean of its ``k`` most similar
    (cosine) trained items' popularity, so cold items are ranked without their own data."""
    count = torch.as_tensor(np.bincount(split.train.item, minlength=split.train.num_items))
    trained = torch.nonzero(count > 0).squeeze(1)
    unit = _unit_rows(content)
    similarity = unit @ unit[trained].T
    nearest = similarity.topk(min(k, len(trained)), dim=1).indices
    borrowed = count[trained][nearest].double().mean(1)
    popularity = torch.where(count > 0, count.double(), borrowed).float()
    return lambda users: popularity.expand(len(users), -1)


def content_knn(split: Split, content: np.ndarray) -> Scorer:
    """Cosine similarity between an item's content and the mean content of the user's
    training items."""
    unit = _unit_rows(content)
    train = split.train
    profile = torch.zeros(train.num_users, unit.shape[1])
    profile.index_add_(0, torch.as_tensor(train.user), unit[torch.as_tensor(train.item)])
    profile = profile / profile.norm(dim=1, keepdim=True).clamp_min(1e-12)
    return lambda users: profile[users] @ unit.T
