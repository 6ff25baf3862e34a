"""Full-ranking top-K recommendation metrics: deterministic ranking plus torchmetrics metrics."""

from __future__ import annotations

from lgnas.metrics.ranking import hit_matrix, hit_matrix_from_pairs, top_k_items
from lgnas.metrics.retrieval import (
    METRICS,
    HitRateAtK,
    MRRAtK,
    NDCGAtK,
    PrecisionAtK,
    RankingMetrics,
    RecallAtK,
    TopKMetric,
)

__all__ = [
    "METRICS",
    "HitRateAtK",
    "MRRAtK",
    "NDCGAtK",
    "PrecisionAtK",
    "RankingMetrics",
    "RecallAtK",
    "TopKMetric",
    "hit_matrix",
    "hit_matrix_from_pairs",
    "top_k_items",
]
