"""Ensemble trained click-through models: choose the weights on validation, test once."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from lgnas.data.clicks import impressions
from lgnas.data.splits import Split
from lgnas.errors import ConfigError
from lgnas.metrics import ClickMetrics
from lgnas.models.ensemble import Ensemble, EnsembleModel
from lgnas.training.result import ModelHolder, TrainResult
from lgnas.training.settings import TrainSettings
from lgnas.trials import metric_utility

ROUNDS = 10
"""Rounds of greedy selection: the weights are multiples of 1/10 (or of a smaller round's)."""
WEIGHT_FILE = "ensemble_weights.csv"
"""Each round's weights and validation metrics, written into the fit's ``log_dir``."""


def greedy_weights(
    logits: Tensor, utility: Callable[[Tensor], float], rounds: int = ROUNDS
) -> list[tuple[tuple[float, ...], float]]:
    """Greedy ensemble selection with replacement over the members' logits ``[M, n]``.

    ``utility(mean_logits)`` scores a weighted mean (higher is better). Each round adds the
    member whose addition scores best (ties: the earlier member). Returns every round's
    weights and utility; the best round (ties: the earlier, smaller one) is the choice.
    """
    counts = torch.zeros(len(logits), dtype=torch.float64)
    total = torch.zeros(logits.shape[1], dtype=torch.float64)
    rounds_seen = []
    for size in range(1, rounds + 1):
        scored = [utility((total + member) / size) for member in logits.double()]
        pick = max(range(len(scored)), key=lambda m: (scored[m], -m))
        counts[pick] += 1
        total += logits[pick].double()
        rounds_seen.append((tuple(float(c) / size for c in counts), scored[pick]))
    return rounds_seen


def fit_ensemble(
    spec: Ensemble,
    trained: Sequence[TrainResult],
    split: Split,
    settings: TrainSettings,
    *,
    test: bool = True,
    log_dir: Path | None = None,
) -> TrainResult:
    """Ensemble ``trained`` (``spec.members`` trained, each a click-through module with its
    ``head``): its weights are ``spec.weight``, or chosen on validation by ``eval.monitor``
    (:func:`greedy_weights`); the test split is scored once, with those weights, and never
    with ``test=False``. The result counts every member's epochs, seconds and parameters.
    """
    if settings.task != "ctr":
        raise ConfigError(
            f"task={settings.task}: an ensemble averages click logits (task=ctr); for ranking, "
            "blend a GNN with a graph filter (model=blend)"
        )
    start = time.perf_counter()
    model = EnsembleModel([result.module for result in trained])
    evaluation = settings.eval
    valid = _logits(model, split, "valid")
    monitor = evaluation.monitor

    def utility(mean: Tensor) -> float:
        value = _metrics(mean, valid, [monitor], "val/")[f"val/{monitor}"]
        return metric_utility(monitor, value)

    rounds = [] if spec.weight is not None else greedy_weights(valid[0], utility)
    weight = spec.weight or max(rounds, key=lambda r: r[1])[0]
    model.weight = torch.tensor(weight, dtype=torch.float64)
    scores = _metrics(model.weight @ valid[0], valid, evaluation.metrics, "val/")
    tested = {}
    if test:
        held_out = _logits(model, split, "test")
        tested = _metrics(model.weight @ held_out[0], held_out, evaluation.metrics, "test/")
    if log_dir is not None and rounds and settings.trainer.get("logger"):
        _write_rounds(Path(log_dir) / WEIGHT_FILE, rounds, monitor)
    return TrainResult(
        architecture=spec.chosen(weight),
        valid=scores,
        test=tested,
        best_epoch=None,
        epochs=sum(result.epochs for result in trained),
        train_seconds=sum(r.train_seconds for r in trained) + time.perf_counter() - start,
        num_parameters=sum(result.num_parameters for result in trained),
        module=ModelHolder(model),
        stop_reason="ensemble",
        still_improving=any(result.still_improving for result in trained),
    )


def _logits(model: EnsembleModel, split: Split, part: str) -> tuple[Tensor, ...]:
    """Every member's logits of a part's impressions ``[M, n]``, its labels and users."""
    users, items, clicked = impressions(split, getattr(split, part))
    return model.member_logits(users, items), clicked, users


def _metrics(
    logits: Tensor, part: tuple[Tensor, ...], names: Sequence[str], prefix: str
) -> dict[str, float]:
    metrics = ClickMetrics(names, prefix=prefix)
    metrics.update(logits, part[1], part[2])
    return {key: float(value) for key, value in metrics.compute().items()}


def _write_rounds(path: Path, rounds: Sequence[tuple[tuple[float, ...], float]], monitor: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    members = len(rounds[0][0])
    lines = [",".join([*(f"weight_{m}" for m in range(members)), f"val_{monitor}_utility"])]
    lines += [",".join([*(f"{w:g}" for w in weight), f"{value:.6f}"]) for weight, value in rounds]
    path.write_text("\n".join(lines) + "\n")
