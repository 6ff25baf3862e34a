"""Full-ranking recommendation metrics (RecBole 1.2 definitions) as torchmetrics metrics.

Each metric is a mean over users of a per-user value: top-K metrics read it from the user's
hit vector (which of the top K ranked items are relevant) and number of relevant items, AUC
from the user's whole ranking. Keeping only a sum and a count as state makes the metrics cheap,
exact under accumulation over batches, and correct under DDP, where states are summed across
processes.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torchmetrics import MetricCollection

from lgnas.errors import ConfigError
from lgnas.metrics.auc import row_auc
from lgnas.metrics.mean import RunningMean
from lgnas.metrics.ranking import hit_matrix, hit_matrix_from_pairs, top_k_items


def _check_k(k: int) -> None:
    if not isinstance(k, int) or k < 1:
        raise ConfigError(f"top-K metric cutoff k must be an integer of at least 1, got {k!r}")


class TopKMetric(RunningMean):
    """Mean over users of a per-user top-K value; users without relevant items are skipped.

    Users with nothing relevant have no defined recall or NDCG, so (as in RecBole) they are left
    out of both the sum and the count rather than scored 0.

    Args:
        k: Rank cutoff K.
        **kwargs: Passed to :class:`torchmetrics.Metric`.
    """

    def __init__(self, k: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_k(k)
        self.k = k

    def update(self, hits: Tensor, num_relevant: Tensor) -> None:
        """Add a batch of users.

        Args:
            hits: Bool, shape ``[B, >=k]``: whether each ranked item is relevant (see
                :func:`~lgnas.metrics.ranking.hit_matrix`); only the first ``k`` columns count.
            num_relevant: Number of relevant items of each user, shape ``[B]``.

        Raises:
            ValueError: If the shapes do not match or ``hits`` has fewer than ``k`` columns.
        """
        if hits.dim() != 2 or hits.shape[1] < self.k or num_relevant.shape != hits.shape[:1]:
            raise ValueError(
                f"{type(self).__name__}(k={self.k}) needs hits [B, >={self.k}] and "
                f"num_relevant [B], got {tuple(hits.shape)} and {tuple(num_relevant.shape)}"
            )
        scored = num_relevant > 0
        per_user = self.per_user(
            hits[scored, : self.k].to(torch.float64), num_relevant[scored].to(torch.float64)
        )
        self.total += per_user.sum()
        self.count += scored.sum()

    @abstractmethod
    def per_user(self, hits: Tensor, num_relevant: Tensor) -> Tensor:
        """Per-user value from float64 ``hits`` ``[U, k]`` and ``num_relevant`` ``[U]`` (>= 1)."""

    def _ranks(self, like: Tensor) -> Tensor:
        """1-based ranks ``1..k`` as float64 on the device of ``like``."""
        return torch.arange(1, self.k + 1, dtype=torch.float64, device=like.device)


class RecallAtK(TopKMetric):
    """Recall@K: share of the user's relevant items that are ranked in the top K."""

    def per_user(self, hits: Tensor, num_relevant: Tensor) -> Tensor:
        return hits.sum(1) / num_relevant


class PrecisionAtK(TopKMetric):
    """Precision@K: share of the top K ranked items that are relevant."""

    def per_user(self, hits: Tensor, num_relevant: Tensor) -> Tensor:
        return hits.sum(1) / self.k


class HitRateAtK(TopKMetric):
    """Hit@K: 1 if any relevant item is ranked in the top K, else 0."""

    def per_user(self, hits: Tensor, num_relevant: Tensor) -> Tensor:
        return hits.amax(1)


class MRRAtK(TopKMetric):
    """MRR@K: reciprocal rank of the first relevant item in the top K, 0 if there is none."""

    def per_user(self, hits: Tensor, num_relevant: Tensor) -> Tensor:
        # 1/rank falls with rank, so the largest hit/rank is the first hit's.
        return (hits / self._ranks(hits)).amax(1)


class NDCGAtK(TopKMetric):
    """NDCG@K with binary relevance: DCG over the ideal DCG of min(|relevant|, K) hits."""

    def per_user(self, hits: Tensor, num_relevant: Tensor) -> Tensor:
        gains = 1.0 / torch.log2(self._ranks(hits) + 1)
        dcg = (hits * gains).sum(1)
        ideal_hits = num_relevant.clamp(max=self.k).long()
        ideal_dcg = gains.cumsum(0)[ideal_hits - 1]
        return dcg / ideal_dcg


class F1AtK(TopKMetric):
    """F1@K: per user, the harmonic mean of that user's Precision@K and Recall@K (0 without a
    hit), averaged over users; not the harmonic mean of the averaged precision and recall.

    With ``h`` hits, ``2 P R / (P + R)`` for ``P = h / K`` and ``R = h / |relevant|`` is
    ``2 h / (K + |relevant|)``.
    """

    def per_user(self, hits: Tensor, num_relevant: Tensor) -> Tensor:
        return 2 * hits.sum(1) / (self.k + num_relevant)


class UserAUC(RunningMean):
    """AUC of a full ranking: per user, the AUC of the relevant items against every other
    unmasked item (ties count one half), averaged over users.

    GAUC as RecBole computes it over a full ranking, except that every user counts once
    (RecBole weights a user by their number of relevant items), like the top-K metrics here.
    A user with one class only (no unmasked relevant item, or no other unmasked item) has no
    AUC: it is skipped, as RecBole does, and counted in ``skipped``.
    """

    skipped: Tensor

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_state("skipped", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, scores: Tensor, rel_row: Tensor, rel_item: Tensor) -> None:
        """Add a batch of users.

        Args:
            scores: Float scores ``[B, N]``, excluded items set to ``-inf``.
            rel_row: Row (user in the batch) of each relevant pair.
            rel_item: Item of each relevant pair.
        """
        auc, positives, negatives = row_auc(scores, rel_row, rel_item)
        scored = (positives > 0) & (negatives > 0)
        self.total += auc[scored].sum()
        self.count += scored.sum()
        self.skipped += (~scored).sum()


METRICS: dict[str, type[TopKMetric]] = {
    "recall": RecallAtK,
    "ndcg": NDCGAtK,
    "precision": PrecisionAtK,
    "hit": HitRateAtK,
    "mrr": MRRAtK,
    "f1": F1AtK,
}
"""Top-K metric classes by name; each is computed at every cutoff (``ndcg@20``)."""

LIST_METRICS: dict[str, type[UserAUC]] = {"auc": UserAUC}
"""Metrics of the whole ranking by name, computed once (``auc``, without a cutoff)."""

RANKING_METRICS = (*METRICS, *LIST_METRICS)
"""Every name :class:`RankingMetrics` accepts."""


def ranking_keys(metrics: Sequence[str], ks: Sequence[int]) -> tuple[str, ...]:
    """The result keys of ``metrics``: ``name@k`` for a top-K metric at every cutoff, the bare
    name for a whole-ranking one (``[ndcg, auc]`` at ``[10, 20]``: ndcg@10, ndcg@20, auc)."""
    return tuple(
        key
        for name in metrics
        for key in ([f"{name}@{k}" for k in ks] if name in METRICS else [name])
    )


class RankingMetrics(torch.nn.Module):
    """Every requested metric at every requested K, from one ranking per batch.

    The items are ranked once, at the largest K, and each top-K metric reads its prefix of
    the hits; whole-ranking metrics (AUC) read the scores. Neither work is done when no
    metric needs it.

    Args:
        metrics: Metric names, from :data:`RANKING_METRICS`.
        ks: Rank cutoffs; each top-K metric is computed at each.
        prefix: Prepended to every result key, e.g. ``"val/"`` gives ``"val/ndcg@20"``.

    Raises:
        ConfigError: If a metric name is unknown, or top-K metrics lack a cutoff of at least 1.
    """

    def __init__(
        self,
        metrics: Sequence[str] = ("recall", "ndcg", "precision", "hit", "mrr"),
        ks: Sequence[int] = (10, 20),
        prefix: str = "",
    ) -> None:
        super().__init__()
        unknown = [name for name in metrics if name not in RANKING_METRICS]
        if unknown:
            raise ConfigError(
                f"unknown ranking metric(s) {unknown}; valid names are {sorted(RANKING_METRICS)}"
            )
        top_k = [name for name in metrics if name in METRICS]
        if top_k and not ks:
            raise ConfigError("top-K ranking metrics need at least one cutoff k")
        for k in ks:
            _check_k(k)
        self.max_k = max(ks, default=0)
        # compute_groups=False: MetricCollection would otherwise merge metrics whose states
        # happen to be equal after the first batch (e.g. recall and precision both 0 when
        # nothing was hit), and from then on report one metric's value for both.
        self.top_k = MetricCollection(
            {f"{name}@{k}": METRICS[name](k) for name in top_k for k in ks},
            prefix=prefix or None,
            compute_groups=False,
        )
        self.whole = MetricCollection(
            {name: LIST_METRICS[name]() for name in metrics if name in LIST_METRICS},
            prefix=prefix or None,
            compute_groups=False,
        )

    def update(self, scores: Tensor, target: Tensor) -> None:
        """Rank all items of a batch of users and add the batch to every metric.

        Args:
            scores: Float scores, shape ``[B, N]``, excluded items set to ``-inf``.
            target: Relevance, shape ``[B, N]``; ``True`` marks a relevant (held-out) item.

        Raises:
            ValueError: If ``scores`` and ``target`` differ in shape or are not 2-D.
        """
        if scores.dim() != 2 or scores.shape != target.shape:
            raise ValueError(
                f"scores and target must both be [B, N], got {tuple(scores.shape)} "
                f"and {tuple(target.shape)}"
            )
        if len(self.top_k):
            top = top_k_items(scores, self.max_k)
            self._add(hit_matrix(top, target), target.bool().sum(1))
        if len(self.whole):
            self.whole.update(scores, *target.nonzero().T)

    def update_pairs(self, scores: Tensor, rel_row: Tensor, rel_item: Tensor) -> None:
        """Like :meth:`update`, with relevant items given as ``(row, item)`` index pairs.

        The fast path for evaluation: no dense ``[B, N]`` relevance matrix is built.
        """
        if len(self.top_k):
            top = top_k_items(scores, self.max_k)
            hits = hit_matrix_from_pairs(top, rel_row, rel_item, scores.shape[1])
            self._add(hits, torch.bincount(rel_row, minlength=scores.shape[0]))
        if len(self.whole):
            self.whole.update(scores, rel_row, rel_item)

    def _add(self, hits: Tensor, num_relevant: Tensor) -> None:
        # With fewer than max_k items, the ranks past N hold no item and so cannot be hits.
        hits = torch.nn.functional.pad(hits, (0, self.max_k - hits.shape[1]), value=False)
        self.top_k.update(hits, num_relevant)

    def compute(self) -> dict[str, Tensor]:
        """Each metric's mean over all users added since the last reset, by ``prefix+key``
        (:func:`ranking_keys`)."""
        return {
            **(self.top_k.compute() if len(self.top_k) else {}),
            **(self.whole.compute() if len(self.whole) else {}),
        }

    def reset(self) -> None:
        """Forget all added users, e.g. at the start of an evaluation epoch."""
        self.top_k.reset()
        self.whole.reset()


__all__ = [
    "LIST_METRICS",
    "METRICS",
    "RANKING_METRICS",
    "F1AtK",
    "HitRateAtK",
    "MRRAtK",
    "NDCGAtK",
    "PrecisionAtK",
    "RankingMetrics",
    "RecallAtK",
    "TopKMetric",
    "UserAUC",
    "ranking_keys",
]
