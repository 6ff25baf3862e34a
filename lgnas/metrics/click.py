"""Click-through metrics over labelled impressions ``(user, item, clicked)``, scored by a logit.

LogLoss and accuracy are means over impressions and keep sum states. Exact AUC needs every
score (a binned sum state would only approximate it), and GAUC needs each user's impressions
together wherever batches cut them, so the AUC metrics keep the impressions as ``cat``
states; torchmetrics gathers those across processes under DDP, so every metric is DDP-safe.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch.nn.functional import binary_cross_entropy_with_logits
from torchmetrics import Metric, MetricCollection
from torchmetrics.utilities import dim_zero_cat

from lgnas.errors import ConfigError
from lgnas.metrics.auc import grouped_auc
from lgnas.metrics.mean import RunningMean


class ClickMetric(Metric):
    """A metric of labelled impressions: ``update(logits, labels, users)``, all ``[n]``."""

    full_state_update = False
    higher_is_better = True
    is_differentiable = False

    def update(self, logits: Tensor, labels: Tensor, users: Tensor) -> None:
        """Add a batch of impressions.

        Args:
            logits: Predicted click logit of each impression (the probability is its sigmoid).
            labels: 1 for a click, 0 for an impression shown and not clicked.
            users: The user of each impression.

        Raises:
            ValueError: If the three are not 1-D of one length.
        """
        if logits.dim() != 1 or labels.shape != logits.shape or users.shape != logits.shape:
            raise ValueError(
                f"{type(self).__name__} needs logits, labels and users of one shape [n], got "
                f"{tuple(logits.shape)}, {tuple(labels.shape)} and {tuple(users.shape)}"
            )
        self._add(logits.detach().double(), labels.detach().double(), users.detach().long())

    @abstractmethod
    def _add(self, logits: Tensor, labels: Tensor, users: Tensor) -> None:
        """Add float64 logits and labels and long users, already checked."""


class ImpressionMean(ClickMetric, RunningMean):
    """A mean over impressions of a per-impression value."""

    def _add(self, logits: Tensor, labels: Tensor, users: Tensor) -> None:
        self.total += self.per_impression(logits, labels).sum()
        self.count += len(labels)

    @abstractmethod
    def per_impression(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Each impression's value from float64 logits and 0/1 labels."""


class LogLoss(ImpressionMean):
    """LogLoss: mean binary cross-entropy ``-[y log p + (1 - y) log(1 - p)]``, ``p`` the sigmoid
    of the logit (computed from the logit, so confident predictions stay finite); minimised."""

    higher_is_better = False

    def per_impression(self, logits: Tensor, labels: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(logits, labels, reduction="none")


class ClickAccuracy(ImpressionMean):
    """Accuracy at 0.5: share of impressions predicted right, a click predicted when ``p > 0.5``."""

    def per_impression(self, logits: Tensor, labels: Tensor) -> Tensor:
        return ((torch.sigmoid(logits) > 0.5) == labels.bool()).double()


class ImpressionAUC(ClickMetric):
    """AUC over the impressions of each group (ties count one half), weighted by group size.

    Groups with one class only have no AUC: they are skipped, as RecBole's GAUC does, and
    :attr:`skipped` counts them after :meth:`compute`.
    """

    logits: list[Tensor]
    labels: list[Tensor]
    users: list[Tensor]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("logits", "labels", "users"):
            self.add_state(name, default=[], dist_reduce_fx="cat")
        self.skipped = 0

    def _add(self, logits: Tensor, labels: Tensor, users: Tensor) -> None:
        self.logits.append(logits)
        self.labels.append(labels)
        self.users.append(users)

    def groups(self, users: Tensor) -> Tensor:
        """The group of each impression."""
        return users

    def compute(self) -> Tensor:
        """Impression-weighted mean AUC of the groups with both classes; 0.0 if none has."""
        if isinstance(self.logits, list) and not self.logits:
            self.skipped = 0
            return torch.tensor(0.0, dtype=torch.float64)
        logits, labels = dim_zero_cat(self.logits), dim_zero_cat(self.labels)
        auc, positives, negatives = grouped_auc(
            logits, labels, self.groups(dim_zero_cat(self.users))
        )
        scored = (positives > 0) & (negatives > 0)
        self.skipped = int((~scored).sum())
        weight = (positives + negatives)[scored].double()
        return (auc[scored] * weight).sum() / weight.sum().clamp(min=1)


class GroupAUC(ImpressionAUC):
    """GAUC: per user, the AUC of their clicks against their shown-not-clicked impressions,
    averaged with each user weighted by their number of impressions."""


class GlobalAUC(ImpressionAUC):
    """AUC of all clicks against all non-clicks, whoever the user; 0.0 with one class only."""

    def groups(self, users: Tensor) -> Tensor:
        return torch.zeros_like(users)


CLICK_METRICS: dict[str, type[ClickMetric]] = {
    "auc": GlobalAUC,
    "gauc": GroupAUC,
    "logloss": LogLoss,
    "accuracy": ClickAccuracy,
}
"""Click-through metric classes by the name :class:`ClickMetrics` accepts."""


class ClickMetrics(torch.nn.Module):
    """Every requested click-through metric of a stream of impression batches.

    Args:
        metrics: Metric names, from :data:`CLICK_METRICS`.
        prefix: Prepended to every result key, e.g. ``"val/"`` gives ``"val/auc"``.

    Raises:
        ConfigError: If a metric name is unknown.
    """

    def __init__(
        self, metrics: Sequence[str] = ("auc", "gauc", "logloss"), prefix: str = ""
    ) -> None:
        super().__init__()
        unknown = [name for name in metrics if name not in CLICK_METRICS]
        if unknown or not metrics:
            raise ConfigError(
                f"unknown click-through metric(s) {unknown}; valid names are "
                f"{sorted(CLICK_METRICS)}"
            )
        self.metrics = MetricCollection(
            {name: CLICK_METRICS[name]() for name in metrics},
            prefix=prefix or None,
            compute_groups=False,
        )

    def update(self, logits: Tensor, labels: Tensor, users: Tensor) -> None:
        """Add a batch of impressions to every metric (see :meth:`ClickMetric.update`)."""
        self.metrics.update(logits, labels, users)

    def compute(self) -> dict[str, Tensor]:
        """Each metric over all impressions added since the last reset, by ``prefix+name``."""
        return self.metrics.compute()

    def reset(self) -> None:
        """Forget all added impressions."""
        self.metrics.reset()


__all__ = [
    "CLICK_METRICS",
    "ClickAccuracy",
    "ClickMetric",
    "ClickMetrics",
    "GlobalAUC",
    "GroupAUC",
    "ImpressionAUC",
    "ImpressionMean",
    "LogLoss",
]
