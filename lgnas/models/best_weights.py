"""Keep the best validation weights in memory and restore them when training ends."""

from __future__ import annotations

import math
from typing import Any

import lightning as L


class BestWeights(L.Callback):
    """Remembers the weights of the best validation score; puts them back after ``fit``.

    Cheaper than checkpoint files for the many short trainings of a search, and the model left
    in memory is the one that is tested and saved.

    Args:
        monitor: Logged metric to watch, e.g. ``"val/ndcg@20"``.
        mode: ``"max"`` or ``"min"``.
    """

    def __init__(self, monitor: str, mode: str = "max") -> None:
        self.monitor, self.mode = monitor, mode
        self.best_score = -math.inf if mode == "max" else math.inf
        self.best_epoch: int | None = None
        self._state: dict[str, Any] | None = None

    def _better(self, score: float) -> bool:
        return score > self.best_score if self.mode == "max" else score < self.best_score

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        fitting = trainer.state.fn == "fit"
        if not fitting or trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        score = float(trainer.callback_metrics[self.monitor])
        if self._better(score):
            self.best_score, self.best_epoch = score, trainer.current_epoch
            # On the CPU: a second copy of the model must not take accelerator memory.
            self._state = {
                k: v.detach().to("cpu", copy=True) for k, v in pl_module.state_dict().items()
            }

    def state_dict(self) -> dict[str, Any]:
        """What a resumed fit needs (a multi-fidelity search's warm start): best so far."""
        return {"score": self.best_score, "epoch": self.best_epoch, "weights": self._state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best_score, self.best_epoch = state_dict["score"], state_dict["epoch"]
        self._state = state_dict["weights"]

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._state is not None:
            pl_module.load_state_dict(self._state)
