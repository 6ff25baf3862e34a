"""Early stopping whose patience starts counting only after a warm-up."""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping
from lightning.pytorch.callbacks.early_stopping import EarlyStoppingReason


class WarmupEarlyStopping(EarlyStopping):
    """:class:`EarlyStopping` that cannot stop during the first ``warmup`` epochs.

    Graph recommenders start from a popularity-like ranking (propagated random embeddings)
    whose validation score dips before it improves; counting patience from epoch 0 stops them
    in that dip. Lightning's ``min_epochs`` does not help: a stop requested during the minimum
    is kept and carried out as soon as the minimum is reached, even after an improvement.
    Here the patience counter is held at zero until the warm-up ends, and the best score is
    still tracked throughout.

    Args:
        warmup: Epochs during which no stop can be triggered.
        **kwargs: :class:`EarlyStopping` arguments (``monitor``, ``mode``, ``patience``...).
    """

    def __init__(self, warmup: int = 0, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.warmup = warmup

    def _run_early_stopping_check(self, trainer: L.Trainer) -> None:
        stopping_before = trainer.should_stop
        super()._run_early_stopping_check(trainer)  # tracks the best score
        if trainer.current_epoch < self.warmup:
            self.wait_count, self.stopped_epoch = 0, 0
            self.stopping_reason = EarlyStoppingReason.NOT_STOPPED
            self.stopping_reason_message = None
            trainer.should_stop = stopping_before

    def stopped_since(self, epoch: int) -> bool:
        """Whether this callback stopped training at ``epoch`` or later (a resumed fit passes
        the epoch it resumed at: a stop saved in its checkpoint is an earlier training's)."""
        stopped = self.stopping_reason != EarlyStoppingReason.NOT_STOPPED
        return stopped and self.stopped_epoch >= epoch
