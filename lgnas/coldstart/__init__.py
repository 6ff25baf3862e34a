"""Cold-start and long-tail evaluation: metrics by item group, and content baselines."""

from __future__ import annotations

from lgnas.coldstart.baselines import content_knn, neighbour_popularity, random_scores
from lgnas.coldstart.groups import ItemGroup, evaluate_groups, item_groups, model_scorer

__all__ = [
    "ItemGroup",
    "content_knn",
    "evaluate_groups",
    "item_groups",
    "model_scorer",
    "neighbour_popularity",
    "random_scores",
]
