"""Fit a training-free graph filter: compute it, choose its grid point on validation, test once.

The filter has no epochs: what a trained model's fit spends on training, this one spends
on a truncated SVD and on scoring every ``(alpha, rank, sharpen, solver)`` point of the
grid on validation.
Ranking goes through :func:`~lgnas.models.module.rank_batch` over the same evaluation
batches as trained models (training items masked; at test time validation items too), so
its metrics compare with theirs as they are.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from lgnas.data.datamodule import RecDataModule
from lgnas.data.interactions import Interactions
from lgnas.data.splits import Split
from lgnas.errors import ConfigError
from lgnas.metrics import RankingMetrics
from lgnas.models.filter_recommender import GraphFilterRecommender
from lgnas.models.graph_filter import GraphFilter, GridPoint
from lgnas.models.module import rank_batch
from lgnas.training.host import prepare_host
from lgnas.training.result import ModelHolder, TrainResult
from lgnas.training.settings import EvalSettings, TrainSettings

GRID_FILE = "graph_filter_grid.csv"
"""Every grid point's validation metrics, written into the fit's ``log_dir``."""


def __init__(self, model: GraphFilterRecommender) -> None:
    super().__init__()
    self.model = model


def filter_model(
    spec: GraphFilter, parts: list[Interactions], rank: int, seed: int
) -> GraphFilterRecommender:
    """``spec``'s filter computed from the interactions of ``parts``, keeping ``rank``
    singular vectors (0: the linear filter alone)."""
    return GraphFilterRecommender(parts, rank, spec.power_iterations, spec.oversample, seed=seed)


def fit_graph_filter(
    spec: GraphFilter,
    split: Split,
    settings: TrainSettings,
    *,
    test: bool = True,
    log_dir: Path | None = None,
) -> TrainResult:
    """Compute ``spec``'s filter on ``split.train``; keep the grid point best on validation.

    Validation picks ``(alpha, rank, sharpen, solver)`` by ``eval.monitor`` (the first of equals in
    :attr:`GraphFilter.grid` order); the test split is scored once, with that point only,
    and never with ``test=False``; with ``spec.refit`` by the chosen filter rebuilt from
    training and validation. ``train_seconds`` covers the SVDs and the grid's validation.
    With ``trainer.logger`` on and a ``log_dir``, every point's validation metrics go to
    :data:`GRID_FILE` there. The filter runs in this process on the CPU (``trainer``
    settings other than ``logger`` do not apply).

    Ranks above ``min(users, items)`` are left out of the grid, so the preset's grid
    serves small data too.

    Raises:
        ConfigError: The grid has several points but the split no validation users, or
            every rank exceeds what the data allows.
    """
    prepare_host(settings.threads)
    start = time.perf_counter()
    evaluation = settings.eval
    data = RecDataModule(split, eval_batch_size=evaluation.batch_size, seed=settings.seed)
    grid = _feasible(spec.grid, min(split.train.num_users, split.train.num_items))
    if len(grid) > 1 and not len(split.valid.user):
        raise ConfigError(
            f"the graph filter's {len(grid)} (alpha, rank, sharpen, solver) points are chosen "
            "on validation, but the dataset's split has no validation interactions; give one "
            "model.arch.alpha, rank, sharpen and solver each, or a split with validation"
        )
    rank = max((point.rank for point in grid if point.alpha > 0), default=0)
    model = filter_model(spec, [split.train], rank, settings.seed)
    valid = _evaluate(model, data.val_dataloader(), grid, evaluation, "val/")
    monitor = f"val/{evaluation.monitor}"
    best = max(range(len(grid)), key=lambda n: (valid[n][monitor], -n))
    chosen = grid[best]
    rank = chosen.rank if chosen.alpha > 0 else 0
    model.keep(rank)
    if spec.refit and test:
        model = filter_model(spec, [split.train, split.valid], rank, settings.seed)
    seconds = time.perf_counter() - start
    tested = {}
    if test:
        tested = _evaluate(model, data.test_dataloader(), [grid[best]], evaluation, "test/")[0]
    if log_dir is not None and settings.trainer.get("logger"):
        write_choices(Path(log_dir) / GRID_FILE, GridPoint._fields, grid, valid)
    return TrainResult(
        architecture=spec.chosen(chosen),
        valid=valid[best],
        test=tested,
        best_epoch=None,
        epochs=0,
        train_seconds=seconds,
        num_parameters=0,
        module=ModelHolder(model),
        stop_reason="closed_form",
        still_improving=False,
    )


def _feasible(grid: list[GridPoint], limit: int) -> list[GridPoint]:
    """The points whose rank the data allows (at most ``min(users, items)``), so one grid
    serves data of any size; refused if no point is left."""
    kept = [point for point in grid if point.alpha == 0 or point.rank <= limit]
    if not kept:
        ranks = sorted({point.rank for point in grid})
        raise ConfigError(
            f"every graph filter rank {ranks} exceeds min(users, items) = {limit} of this "
            "data; give model.arch.rank a smaller value"
        )
    if len(kept) < len(grid):
        logging.getLogger(__name__).warning(
            "graph filter: ranks above min(users, items) = %d left out of the grid", limit
        )
    return kept


@torch.no_grad()
def _evaluate(
    model: GraphFilterRecommender,
    batches: Iterable[tuple[Tensor, ...]],
    grid: Sequence[GridPoint],
    evaluation: EvalSettings,
    prefix: str,
) -> list[dict[str, float]]:
    """Each grid point's metrics over ``batches``; the batch's shared parts computed once."""
    metrics = [RankingMetrics(evaluation.metrics, evaluation.ks, prefix=prefix) for _ in grid]
    for batch in batches:
        for point_metrics, (_, scores) in zip(metrics, model.scores_over_grid(batch[0], grid)):
            rank_batch(scores, batch, point_metrics)
    return [{k: float(v) for k, v in m.compute().items()} for m in metrics]


def write_choices(
    path: Path,
    names: Sequence[str],
    choices: Sequence[Sequence[float]],
    valid: Sequence[dict[str, float]],
) -> None:
    """A CSV of what validation chose among: each choice's values (columns ``names``), then
    its validation metrics."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted(valid[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*names, *keys])
        for choice, metrics in zip(choices, valid):
            writer.writerow([*choice, *(f"{metrics[k]:.6f}" for k in keys)])
