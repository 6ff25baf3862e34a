"""Recommendation metrics: full-ranking top-K and AUC metrics, and click-through metrics of
labelled impressions; deterministic ranking and exact AUC underneath."""

from __future__ import annotations

from lgnas.metrics.auc import grouped_auc, row_auc
from lgnas.metrics.click import (
    CLICK_METRICS,
    ClickAccuracy,
    ClickMetric,
    ClickMetrics,
    GlobalAUC,
    GroupAUC,
    LogLoss,
)
from lgnas.metrics.ranking import hit_matrix, hit_matrix_from_pairs, top_k_items
from lgnas.metrics.retrieval import (
    LIST_METRICS,
    METRICS,
    RANKING_METRICS,
    F1AtK,
    HitRateAtK,
    MRRAtK,
    NDCGAtK,
    PrecisionAtK,
    RankingMetrics,
    RecallAtK,
    TopKMetric,
    UserAUC,
    ranking_keys,
)

__all__ = [
    "CLICK_METRICS",
    "LIST_METRICS",
    "METRICS",
    "RANKING_METRICS",
    "ClickAccuracy",
    "ClickMetric",
    "ClickMetrics",
    "F1AtK",
    "GlobalAUC",
    "GroupAUC",
    "HitRateAtK",
    "LogLoss",
    "MRRAtK",
    "NDCGAtK",
    "PrecisionAtK",
    "RankingMetrics",
    "RecallAtK",
    "TopKMetric",
    "UserAUC",
    "grouped_auc",
    "hit_matrix",
    "hit_matrix_from_pairs",
    "ranking_keys",
    "row_auc",
    "top_k_items",
]
