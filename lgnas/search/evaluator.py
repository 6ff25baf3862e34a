"""Turn a search-space point into a trained, validated candidate: one search trial."""

from __future__ import annotations

import logging
import math
import time
import traceback
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from lgnas.data.splits import Split
from lgnas.distributed import LIGHTNING_LOGGERS
from lgnas.models.architecture import Architecture
from lgnas.search.latency import latency_ms_per_1k_users
from lgnas.search.trial import Point, TrialResult, trial_folder
from lgnas.space import split_point
from lgnas.train import fit


def quiet_lightning() -> None:
    """Silence Lightning's per-Trainer banners; a search builds hundreds of Trainers."""
    for name in LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


class TrialEvaluator:
    """Trains a point's architecture on the training split and scores it on validation.

    The test split is never touched here. Any exception, a NaN objective or running out of
    memory makes a failed trial carrying the error, so one bad candidate never ends a search.
    Besides the objective it records the costs a multi-objective search trades against
    (:mod:`lgnas.search.objectives`): parameters, train seconds and, measured after training
    on the trained model, ``latency_ms_per_1k_users``.

    Args:
        cfg: The search config (``optim``, ``eval``, ``trainer``, ``seed``, ``threads``).
        split: The prepared dataset split, shared by every trial.
        objective: Validation metric to maximise, e.g. ``ndcg@20``.
        max_seconds: Training time limit per trial; a trial that reaches it is scored with
            its best weights so far (its ``cost`` shows the epochs it managed).
        log_dir: Where each trial logs its epochs (``<log_dir>/<trial_folder(...)>``), when
            ``trainer.logger`` is on.
    """

    def __init__(
        self,
        cfg: DictConfig,
        split: Split,
        objective: str,
        max_seconds: float | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.cfg = cfg
        self.split = split
        self.objective = f"val/{objective}"
        self.max_seconds = max_seconds
        self.log_dir = log_dir
        quiet_lightning()

    def training_options(self, point: Point) -> tuple[Architecture, dict[str, Any]]:
        """The architecture and optimiser settings a point stands for."""
        arch_values, optim_values = split_point(point)
        optim = {**OmegaConf.to_container(self.cfg.optim, resolve=True), **optim_values}
        return Architecture.from_dict(arch_values), optim

    def __call__(self, point: Point, fidelity: int | None = None) -> TrialResult:
        quiet_lightning()  # again here: in a Ray worker this object arrives unpickled
        start = time.perf_counter()
        try:
            architecture, optim = self.training_options(point)
            result = fit(
                architecture,
                optim,
                self.split,
                self.cfg,
                max_epochs=fidelity,
                max_seconds=self.max_seconds,
                test=False,
                log_dir=self.log_dir / trial_folder(point, fidelity) if self.log_dir else None,
            )
        except Exception as error:  # a bad candidate, not a broken search
            spent = {"seconds": time.perf_counter() - start}  # failed time counts too
            if isinstance(error, MemoryError) or "out of memory" in str(error).lower():
                return TrialResult.failure(f"out of memory: {error}", cost=spent, fidelity=fidelity)
            detail = traceback.format_exception_only(type(error), error)[-1].strip()
            return TrialResult.failure(detail, cost=spent, fidelity=fidelity)
        value = result.valid.get(self.objective)
        cost = {
            "parameters": result.num_parameters,
            "train_seconds": result.train_seconds,
            "seconds": time.perf_counter() - start,
            "epochs": result.epochs,
        }
        try:
            cost["latency_ms_per_1k_users"] = latency_ms_per_1k_users(result.module.model)
        except Exception as error:  # a cost we could not measure does not fail the trial
            logging.getLogger(__name__).warning("latency not measured: %s", error)
        if value is None or not math.isfinite(value):
            return TrialResult.failure(
                f"objective {self.objective} is {value} (training diverged)",
                metrics=result.valid,
                cost=cost,
                fidelity=fidelity,
            )
        return TrialResult(objective=value, metrics=result.valid, cost=cost, fidelity=fidelity)
