from __future__ import annotations

import lightning as L
import torch

from lgnas.models.early_stopping import WarmupEarlyStopping


class ScriptedScore(L.LightningModule):
    """Logs a fixed validation score per epoch: a dip after epoch 0, then a late rise."""

    SCORES = [0.5, 0.4, 0.4, 0.4, 0.4, 0.4, 0.45, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def training_step(self, batch, batch_idx):
        return (self.weight - 1).pow(2).sum()

    def validation_step(self, batch, batch_idx):
        self.log("score", self.SCORES[self.current_epoch])

    def train_dataloader(self):
        return [torch.zeros(1)]

    def val_dataloader(self):
        return [torch.zeros(1)]

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _epochs_run(warmup: int) -> int:
    stopper = WarmupEarlyStopping(warmup=warmup, monitor="score", mode="max", patience=3)
    trainer = L.Trainer(
        max_epochs=len(ScriptedScore.SCORES),
        callbacks=[stopper],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(ScriptedScore())
    return trainer.current_epoch


def test_without_warmup_the_dip_stops_training() -> None:
    assert _epochs_run(warmup=0) == 4  # epochs 1-3 never beat epoch 0


def test_warmup_outlasts_the_dip_and_patience_counts_after_it() -> None:
    # The rise at epoch 7 is reached; afterwards three flat epochs stop at epoch 10.
    assert _epochs_run(warmup=5) == 11
