"""GNN recommenders: architectures, message-passing operators, and their Lightning module."""

from __future__ import annotations

from lgnas.models.architecture import PRESETS, Architecture, preset
from lgnas.models.layers import OP_REGISTRY, build_op, op_names, register_op
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender

__all__ = [
    "OP_REGISTRY",
    "PRESETS",
    "Architecture",
    "GNNRecommender",
    "RecommenderModule",
    "build_op",
    "op_names",
    "preset",
    "register_op",
]
