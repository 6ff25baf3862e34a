"""Lightning modules around a :class:`GNNRecommender`: what every task's training shares, and
the ranking task's (ranking losses, full-ranking evaluation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning as L
import torch
from torch import Tensor

from lgnas.errors import ConfigError
from lgnas.metrics import RankingMetrics
from lgnas.models.losses import EVERY_ITEM_LOSSES, get_loss
from lgnas.models.pointwise import POINTWISE_SCORES
from lgnas.models.recommender import GNNRecommender
from lgnas.models.scoring import rows, sampled_scores


def rank_batch(scores: Tensor, batch: tuple[Tensor, ...], metrics: RankingMetrics) -> None:
    """Add one evaluation batch to ``metrics``: every item ranked, the user's seen items
    masked (training items; at test time validation items too).

    Every model is ranked through here, so all are scored by the same rules.

    Args:
        scores: ``[B, items]`` scores of the batch's users; masked in place.
        batch: ``(users, seen_row, seen_item, rel_row, rel_item)`` as
            :class:`~lgnas.data.datamodule.EvalBatches` yields it.
        metrics: The metrics the batch is added to.
    """
    _, seen_row, seen_item, rel_row, rel_item = batch
    scores[seen_row, seen_item] = -torch.inf
    metrics.update_pairs(scores, rel_row, rel_item)


class RepresentationModule(L.LightningModule):
    """What training a GNN recommender shares across tasks: the representations computed
    once per evaluation pass, the epoch's mean loss logged once (and checked for
    divergence), the metrics logged and reset at the end of a pass, and fused Adam.

    A subclass calls ``save_hyperparameters`` with ``lr`` and ``weight_decay`` among them,
    returns :meth:`_add_loss` from ``training_step`` and sets ``val_metrics`` and
    ``test_metrics`` (anything with ``compute`` and ``reset``).
    """

    def __init__(self, model: GNNRecommender) -> None:
        super().__init__()
        self.model = model
        self._cached: tuple[Tensor, Tensor] | None = None
        self._epoch_loss, self._epoch_steps = torch.zeros(()), 0

    def _add_loss(self, total: Tensor) -> Tensor:
        """Count a step's loss towards the epoch mean; returns it for ``training_step``."""
        # Summed here and logged once per epoch: per-step self.log costs as much as a
        # sparse product on small graphs.
        self._epoch_loss += total.detach()
        self._epoch_steps += 1
        return total

    def on_train_epoch_start(self) -> None:
        self._epoch_loss = torch.zeros((), device=self.device)
        self._epoch_steps = 0

    def on_train_epoch_end(self) -> None:
        if not self._epoch_steps:
            return
        mean = self._epoch_loss / self._epoch_steps
        # Checked once per epoch: a NaN step poisons the sum, and no step waits on the host.
        if not torch.isfinite(mean):
            raise FloatingPointError(f"training loss became {float(mean)} (diverged)")
        self.log("train/loss", mean, sync_dist=True)

    # Evaluation: representations are computed once per evaluation pass, then every batch is
    # scored from them.
    def _representations(self) -> tuple[Tensor, Tensor]:
        if self._cached is None:
            self._cached = self.model()
        return self._cached

    def _clear(self) -> None:
        self._cached = None

    on_validation_epoch_start = on_test_epoch_start = _clear

    def _log_metrics(self, metrics: Any) -> None:
        self.log_dict(metrics.compute(), prog_bar=False)
        metrics.reset()
        self._clear()

    def on_validation_epoch_end(self) -> None:
        self._log_metrics(self.val_metrics)

    def on_test_epoch_end(self) -> None:
        self._log_metrics(self.test_metrics)

    def optimizer_groups(self) -> list[dict]:
        """Adam's parameter groups: the model's (its own learning rates inside)."""
        return self.model.optimizer_groups(self.hparams.lr)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(
            self.optimizer_groups(),
            lr=self.hparams.lr,
            weight_decay=self.hparams.weight_decay,
            fused=True,
        )


class RecommenderModule(RepresentationModule):
    """Ranking-loss training with LightGCN-style L2 regularisation; full-ranking evaluation.

    The regulariser is ``reg * (|e_u|² + |e_i|² + |e_j|²) / (2 B)`` on the batch's raw ID
    embeddings, as LightGCN and RecBole apply it, rather than weight decay over all embeddings.

    Args:
        model: The recommender to train.
        loss: ``bpr`` (default), ``bce``, ``softmax`` (sampled softmax) or ``full_softmax``
            (softmax over every item; sampled negatives then enter only the L2 term).
        lr: Adam learning rate.
        weight_decay: Adam weight decay (on all parameters; 0 by default).
        reg: Weight of the batch embedding L2 regulariser.
        temperature: Divides the scores inside the loss only (rankings do not change). Below 1
            it sharpens bounded cosine scores (``score=cosine``) so the loss can separate them.
        metrics: Ranking metric names reported in validation and test.
        ks: Cut-offs of every metric.
    """

    def __init__(
        self,
        model: GNNRecommender,
        loss: str = "bpr",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        reg: float = 1e-4,
        temperature: float = 1.0,
        metrics: Sequence[str] = ("recall", "ndcg", "precision", "hit", "mrr"),
        ks: Sequence[int] = (10, 20),
    ) -> None:
        super().__init__(model)
        if not temperature > 0:
            raise ConfigError(f"optim.temperature={temperature!r} must be > 0")
        if model.architecture.score in POINTWISE_SCORES:
            raise ConfigError(
                f"architecture score={model.architecture.score!r} scores one (user, item) pair "
                "at a time, for task=ctr; ranking scores every item by 'dot' or 'cosine'"
            )
        self.save_hyperparameters(ignore=["model"])
        self.loss_fn = get_loss(loss)
        self.scores_every_item = loss in EVERY_ITEM_LOSSES
        self.val_metrics = RankingMetrics(metrics, ks, prefix="val/")
        self.test_metrics = RankingMetrics(metrics, ks, prefix="test/")

    def training_step(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> Tensor:
        users, pos, neg = batch
        tau = self.hparams.temperature
        at_rows = None if self.scores_every_item else self.model.batch_representations(*batch)
        if at_rows is not None:  # a large graph: the batch's rows only
            u, pos_rep, neg_rep = at_rows
            u = u / tau if tau != 1.0 else u
            loss = self.loss_fn((u * pos_rep).sum(-1), (u.unsqueeze(1) * neg_rep).sum(-1))
        else:
            user_rep, item_rep = self.model()
            u = rows(user_rep, users)
            if tau != 1.0:  # every score over τ: one [B, d] division, not one per score
                u = u / tau
            if self.scores_every_item:
                loss = self.loss_fn(u @ item_rep.T, pos)
            else:
                pos_scores = (u * rows(item_rep, pos)).sum(-1)
                loss = self.loss_fn(pos_scores, sampled_scores(u, item_rep, neg))
        return self._add_loss(loss + self.hparams.reg * self.model.batch_l2(users, pos, neg))

    def on_train_batch_start(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> None:
        # A LoRA-fine-tuned text encoder re-encodes only this batch's items (lgnas.text.lora).
        self.model.set_batch_items(batch[1], batch[2])

    def _rank(self, batch: tuple[Tensor, ...], metrics: RankingMetrics) -> None:
        user_rep, item_rep = self._representations()
        rank_batch(user_rep[batch[0]] @ item_rep.T, batch, metrics)

    def validation_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> None:
        self._rank(batch, self.val_metrics)

    def test_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> None:
        self._rank(batch, self.test_metrics)
