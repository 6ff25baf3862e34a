"""Blend a trained GNN with a graph filter: choose the filter's point, then the weight, on
validation; test once."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from lgnas.data.datamodule import RecDataModule
from lgnas.data.splits import Split, train_and_valid
from lgnas.metrics import RankingMetrics
from lgnas.models.blend import Blend, BlendedRecommender
from lgnas.models.module import rank_batch
from lgnas.models.optim import Optim
from lgnas.training.closed_form import filter_model, fit_graph_filter, write_choices
from lgnas.training.result import ModelHolder, TrainResult
from lgnas.training.settings import EvalSettings, TrainSettings
from lgnas.training.task import retrain

WEIGHT_FILE = "blend_weights.csv"
"""Every weight's validation metrics, written into the fit's ``log_dir``."""


def __init__(self, model: BlendedRecommender) -> None:
    super().__init__()
    self.model = model


def fit_blend(
    spec: Blend,
    base: TrainResult,
    split: Split,
    settings: TrainSettings,
    optim: Optim,
    *,
    test: bool = True,
    log_dir: Path | None = None,
    refit_checkpoint: Path | None = None,
) -> TrainResult:
    """Blend ``base`` (``spec.base`` trained, e.g. by :func:`~lgnas.training.fit`) with
    ``spec.filter`` computed on ``split.train``.

    The filter's grid point is chosen on validation alone (as its own fit chooses it), then
    the weight by ``eval.monitor`` on validation (the smallest of equals); the test split is
    scored once, with that weight, and never with ``test=False``. With the filter's
    ``refit``, the test blends the GNN with the chosen filter rebuilt from training and
    validation, the filter the result keeps; with the blend's ``refit``, also with the GNN
    retrained by ``optim`` (its recipe) on training and validation for its best epochs
    (:func:`~lgnas.training.task.retrain`; resumable from ``refit_checkpoint``, the longest
    part of a blend on large data). The result reports what the GNN trained (its
    epochs, stop reason, parameters); ``train_seconds`` adds the filter's and the blend's
    validation to the GNN's training. With ``trainer.logger`` on and a ``log_dir``, each
    weight's validation metrics go to :data:`WEIGHT_FILE` there.
    """
    start = time.perf_counter()
    computed = fit_graph_filter(spec.filter, split, settings, test=False, log_dir=log_dir)
    chosen = computed.architecture
    point = chosen.grid[0]
    model = BlendedRecommender(base.module.model, computed.module.model, point)
    evaluation = settings.eval
    data = RecDataModule(split, eval_batch_size=evaluation.batch_size, seed=settings.seed)
    weights = spec.weight
    valid = _evaluate(model, data.val_dataloader(), weights, evaluation, "val/")
    monitor = f"val/{evaluation.monitor}"
    best = max(range(len(weights)), key=lambda n: (valid[n][monitor], -n))
    tested = {}
    if test:
        if spec.filter.refit:  # always with the blend's own refit
            rank = point.rank if point.alpha > 0 else 0
            rebuilt = filter_model(spec.filter, [split.train, split.valid], rank, settings.seed)
            gnn = base.module.model
            if spec.refit:
                epochs = base.epochs if base.best_epoch is None else base.best_epoch + 1
                refit_split = train_and_valid(split)
                gnn = retrain(spec.base, optim, refit_split, settings, epochs, refit_checkpoint)
            model = BlendedRecommender(gnn, rebuilt, point)
        tested = _evaluate(model, data.test_dataloader(), [weights[best]], evaluation, "test/")[0]
    if log_dir is not None and settings.trainer.get("logger"):
        write_choices(Path(log_dir) / WEIGHT_FILE, ["weight"], [[w] for w in weights], valid)
    return TrainResult(
        architecture=spec.chosen(point, weights[best]),
        valid=valid[best],
        test=tested,
        best_epoch=base.best_epoch,
        epochs=base.epochs,
        train_seconds=base.train_seconds + time.perf_counter() - start,
        num_parameters=base.num_parameters,
        module=ModelHolder(model),
        start_epoch=base.start_epoch,
        stop_reason=base.stop_reason,
        still_improving=base.still_improving,
        inherited=base.inherited,
    )


@torch.no_grad()
def _evaluate(
    model: BlendedRecommender,
    batches: Iterable[tuple[torch.Tensor, ...]],
    weights: Sequence[float],
    evaluation: EvalSettings,
    prefix: str,
) -> list[dict[str, float]]:
    """Each weight's metrics over ``batches``; both models score a batch once."""
    metrics = [RankingMetrics(evaluation.metrics, evaluation.ks, prefix=prefix) for _ in weights]
    for batch in batches:
        gnn, graph_filter = model.parts(batch[0])
        scores = torch.empty_like(gnn)
        for weight, weight_metrics in zip(weights, metrics):
            torch.lerp(gnn, graph_filter, weight, out=scores)
            rank_batch(scores, batch, weight_metrics)
    return [{k: float(v) for k, v in m.compute().items()} for m in metrics]
