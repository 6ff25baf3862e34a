"""GNN recommenders: architectures, message-passing operators, and their Lightning module."""

from __future__ import annotations

from lgnas.models.architecture import PRESETS, Architecture, preset
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender

__all__ = [
    "PRESETS",
    "Architecture",
    "GNNRecommender",
    "RecommenderModule",
    "preset",
]
