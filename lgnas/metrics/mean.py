"""The state every averaged metric keeps: a float64 sum and a count, summed under DDP."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric


class RunningMean(Metric):
    """A mean of per-user (or per-impression) values, kept as a float64 sum and a count.

    Sums make the mean exact under accumulation over batches and correct under DDP, where
    torchmetrics sums the states of the processes.
    """

    full_state_update = False
    higher_is_better = True
    is_differentiable = False

    total: Tensor
    count: Tensor

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # float64: a float32 running sum over hundreds of thousands of users loses digits.
        self.add_state("total", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def compute(self) -> Tensor:
        """The mean, 0.0 when nothing was counted."""
        # clamp instead of a branch: total is 0 whenever count is, and no host sync is needed.
        return self.total / self.count.clamp(min=1)
