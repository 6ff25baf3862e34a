"""Checkpoints that let a later, longer training continue a shorter one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import lightning as L
import torch


class ResumableCheckpoint(L.Callback):
    """Saves the complete training state after every epoch and when training ends; notes
    where a resumed fit began.

    A multi-fidelity search trains a promoted candidate for more epochs: continuing from its
    lower-rung checkpoint costs only the extra epochs. A long retrain killed midway continues
    from its last complete epoch instead of starting over. The checkpoint holds the weights,
    the optimiser's moments, the epoch counter and every callback's state (the best
    validation weights so far, early stopping's counters, which must check on validation end)
    and is written as each epoch ends and in ``on_train_end``,
    before :class:`~lgnas.models.best_weights.BestWeights` puts the best weights back, with
    torch's random state (dropout draws from it), so a resumed fit carries on exactly where
    this one stopped. The file is written whole or not at all (a temporary name, then a
    rename), so a killed training never leaves a torn one.

    Args:
        path: Where to save (``None``: save nothing).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.start_epoch = 0

    def state_dict(self) -> dict[str, Any]:
        return {"torch_rng": torch.get_rng_state()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        torch.set_rng_state(state_dict["torch_rng"])

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.start_epoch = trainer.current_epoch  # restored from a checkpoint by now

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # The epoch is validated and early stopping has checked it (on validation end), so
        # Lightning resumes this state at the next epoch.
        self._save(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._save(trainer)

    def _save(self, trainer: L.Trainer) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        trainer.save_checkpoint(partial)
        if trainer.is_global_zero:
            os.replace(partial, self.path)
