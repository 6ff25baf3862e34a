"""Full-ranking metrics over item groups: cold, warm and all items, and popularity buckets.

Cold items are ranked among the cold items of the evaluated part only (``cold``), as in
the ColdRec benchmark: a new-item recommender is asked which of the new items a user will
like. ``cold_all`` ranks among all cold items (validation and test halves), whose random
baseline is half as high; with the temporal split the other half is older and never
relevant, which rewards a model for nothing but recency. Warm items are ranked among warm
items. Popularity buckets keep the ranking over all items and count only the held-out
items of the bucket, so they show where in the long tail a model finds its hits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from lgnas.data.datamodule import UserItemIndex
from lgnas.data.splits import Split
from lgnas.metrics import RankingMetrics
from lgnas.models.recommender import GNNRecommender

Scorer = Callable[[Tensor], Tensor]  # users [B] -> scores [B, num_items]


@dataclass(frozen=True, eq=False)
class ItemGroup:
    """Which held-out items count (``relevant``) and which items are ranked (``candidates``,
    None = all items)."""

    relevant: np.ndarray
    candidates: np.ndarray | None = None


def item_groups(split: Split, buckets: int = 3, part: str = "test") -> dict[str, ItemGroup]:
    """``all``, ``cold``, ``cold_all`` and ``warm`` groups, and ``pop<b>`` buckets (``pop0`` =
    least popular) of warm items with equally many items each, by training interactions.
    ``part`` is the part whose cold items ``cold`` ranks."""
    num_items = split.train.num_items
    items = np.arange(num_items)
    cold = split.cold_items if split.cold_items is not None else np.zeros(0, np.int64)
    warm = np.setdiff1d(items, cold)
    groups = {"all": ItemGroup(items)}
    if len(cold):
        held_out_cold = np.intersect1d(cold, getattr(split, part).item)
        groups["cold"] = ItemGroup(held_out_cold, held_out_cold)
        groups["cold_all"] = ItemGroup(cold, cold)
        groups["warm"] = ItemGroup(warm, warm)
    popularity = np.bincount(split.train.item, minlength=num_items)[warm]
    by_popularity = warm[np.argsort(popularity, kind="stable")]
    for b, bucket in enumerate(np.array_split(by_popularity, buckets)):
        groups[f"pop{b}"] = ItemGroup(np.sort(bucket))
    return groups


def model_scorer(model: GNNRecommender) -> Scorer:
    """Dot-product scores of a trained recommender (representations computed once)."""
    model.eval()
    with torch.no_grad():
        user_rep, item_rep = model()
    return lambda users: user_rep[users] @ item_rep.T


def evaluate_groups(
    score: Scorer,
    split: Split,
    groups: dict[str, ItemGroup],
    part: str = "test",
    metrics: Sequence[str] = ("recall", "ndcg"),
    ks: Sequence[int] = (20,),
    batch_size: int = 1024,
    tie_seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Per group, each metric averaged over users with a held-out item in the group.

    Items a user trained on (and, for ``test``, validated on) are never ranked, exactly as in
    :class:`lgnas.models.RecommenderModule`. Equal scores are ordered by a fixed random item
    order (``tie_seed``), not by item index: ids often follow catalogue age, so index order
    would rank cold items well for a model that scores them all alike (an ID-only model).
    """
    shuffle = torch.randperm(
        split.train.num_items, generator=torch.Generator().manual_seed(tie_seed)
    )
    position = torch.empty_like(shuffle)
    position[shuffle] = torch.arange(len(shuffle))
    seen_parts = [split.train] if part == "valid" else [split.train, split.valid]
    held_out = getattr(split, part)
    num_users, num_items = split.train.num_users, split.train.num_items
    seen = UserItemIndex(seen_parts, num_users)
    results: dict[str, dict[str, float]] = {}
    for name, group in groups.items():
        in_group = np.isin(held_out.item, group.relevant)
        relevant = UserItemIndex([held_out.subset(in_group)], num_users)
        users = torch.arange(num_users)
        users = users[relevant.counts(users) > 0]
        excluded = torch.zeros(num_items, dtype=torch.bool)
        if group.candidates is not None:
            excluded[:] = True
            excluded[torch.as_tensor(group.candidates)] = False
        ranking = RankingMetrics(metrics, ks)
        with torch.no_grad():
            for start in range(0, len(users), batch_size):
                batch = users[start : start + batch_size]
                scores = score(batch).clone()
                scores[:, excluded] = -torch.inf
                seen_row, seen_item = seen.gather(batch)
                scores[seen_row, seen_item] = -torch.inf
                rel_row, rel_item = relevant.gather(batch)
                ranking.update_pairs(scores[:, shuffle], rel_row, position[rel_item])
        results[name] = {k: float(v) for k, v in ranking.compute().items()} if len(users) else {}
        results[name]["users"] = float(len(users))
    return results
