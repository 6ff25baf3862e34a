"""Lightning module of the click-through task: a GNN's representations, a pointwise head,
binary cross-entropy on labelled impressions, and click-through metrics."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor
from torch.nn.functional import binary_cross_entropy_with_logits

from lgnas.metrics import ClickMetrics
from lgnas.models.module import RepresentationModule
from lgnas.models.pointwise import PointwiseHead
from lgnas.models.recommender import GNNRecommender
from lgnas.models.scoring import rows


class ClickModule(RepresentationModule):
    """BCE training of a GNN recommender and its :class:`PointwiseHead` on impressions.

    Each step scores the batch's ``(user, item)`` impressions from the GNN's final
    representations (propagated over the training clicks) and fits their click labels,
    plus the LightGCN-style L2 on the batch's ID embeddings (``reg``), as ranking does.

    Args:
        model: The GNN recommender whose representations are scored.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        reg: Weight of the batch embedding L2 regulariser.
        temperature: Divides ``dot`` and ``cosine`` interaction terms.
        metrics: Click-through metric names reported in validation and test.
    """

    def __init__(
        self,
        model: GNNRecommender,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        reg: float = 1e-4,
        temperature: float = 1.0,
        metrics: Sequence[str] = ("auc", "gauc", "logloss"),
    ) -> None:
        super().__init__(model)
        self.save_hyperparameters(ignore=["model"])
        arch = model.architecture
        self.head = PointwiseHead(
            arch.score, model.num_users, model.num_items, model.output_dim, temperature
        )
        self.val_metrics = ClickMetrics(metrics, prefix="val/")
        self.test_metrics = ClickMetrics(metrics, prefix="test/")

    def training_step(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> Tensor:
        users, items, clicked = batch
        user_rep, item_rep = self.model()
        logits = self.head(rows(user_rep, users), rows(item_rep, items), users, items)
        loss = binary_cross_entropy_with_logits(logits, clicked)
        no_negatives = items.new_zeros(0)
        return self._add_loss(
            loss + self.hparams.reg * self.model.batch_l2(users, items, no_negatives)
        )

    def on_train_batch_start(self, batch: tuple[Tensor, Tensor, Tensor], batch_idx: int) -> None:
        self.model.set_batch_items(batch[1])

    def pair_logits(self, users: Tensor, items: Tensor) -> Tensor:
        """Click logits of the pairs ``(users, items)`` from the current representations
        (computed once per evaluation)."""
        user_rep, item_rep = self._representations()
        return self.head(user_rep[users], item_rep[items], users, items)

    def _score(self, batch: tuple[Tensor, ...], metrics: ClickMetrics) -> None:
        users, items, clicked = batch
        metrics.update(self.pair_logits(users, items), clicked, users)

    def validation_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> None:
        self._score(batch, self.val_metrics)

    def test_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> None:
        self._score(batch, self.test_metrics)

    def optimizer_groups(self) -> list[dict]:
        """The model's parameter groups and the head's, at the module's learning rate."""
        return [*super().optimizer_groups(), {"params": list(self.head.parameters())}]


__all__ = ["ClickModule"]
