"""Turn a search-space point into a trained, validated candidate: one search trial."""

from __future__ import annotations

import logging
import math
import time
import traceback
from pathlib import Path

from lgnas.data.features import frozen_text
from lgnas.data.splits import Split
from lgnas.models.architecture import Architecture
from lgnas.models.inherit import save_weights
from lgnas.models.optim import Optim
from lgnas.search.executor import Parent
from lgnas.search.latency import latency_ms_per_1k_users
from lgnas.space import split_point
from lgnas.training import TrainSettings, fit
from lgnas.training.distributed import LIGHTNING_LOGGERS
from lgnas.trials import (
    Point,
    TrialResult,
    fidelity_epochs,
    metric_utility,
    on_proxy,
    trial_folder,
)


def quiet_lightning() -> None:
    """Silence Lightning's per-Trainer banners; a search builds hundreds of Trainers."""
    for name in LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


class TrialEvaluator:
    """Trains a point's architecture on the training split and scores it on validation.

    The test split is never touched here. Any exception, a NaN objective or running out of
    memory makes a failed trial carrying the error, so one bad candidate never ends a search.
    Besides the objective it records the costs a multi-objective search trades against
    (:mod:`lgnas.trials.objectives`): parameters, train seconds and, measured after training
    on the trained model, ``latency_ms_per_1k_users``.

    Args:
        optim: The training recipe a point's training keys update.
        settings: Seed, threads, evaluation and Trainer settings of every trial.
        split: The prepared dataset split, shared by every trial.
        objective: Validation metric searched, e.g. ``ndcg@20``; the result's objective is
            its utility (negated when the metric is minimised, as ``logloss``).
        max_seconds: Training time limit per trial; a trial that reaches it is scored with
            its best weights so far (its ``cost`` shows the epochs it managed).
        log_dir: Where each trial logs its epochs (``<log_dir>/<trial_folder(...)>``), when
            ``trainer.logger`` is on.
        checkpoint_dir: Warm start for multi-fidelity searches: a trial below the search's
            full fidelity (``search.fidelity``) leaves its training state here, and a trial of
            the same point at more epochs continues the highest-fidelity one found, paying
            only for the extra epochs (``cost.epochs``; ``cost.resumed_from`` says where it
            began). The scores equal those of training from scratch: batches and negatives
            follow the epoch number, and the optimiser's state is restored too. ``None``:
            every trial trains from scratch.
        full_fidelity: The search's full fidelity: trials at it keep no checkpoint, since
            nothing continues them (``None``: every trial keeps one).
        weights_dir: Weight inheritance (a staged search): every successful trial leaves its
            final weights here (``<trial folder>.weights.pt``), and a trial given a
            ``parent`` starts from the parent's, where names and shapes match
            (:func:`~lgnas.models.inherit.inherit_weights`; ``cost.inherited`` counts the
            tensors copied). A parent whose file is missing (a Ray worker without the run
            directory) leaves the trial training from scratch. ``None``: nothing is kept and
            every trial trains from scratch.
        proxy_split: The proxy subgraph's split (``search.proxy_users``): a trial at a
            negative fidelity (:func:`~lgnas.trials.proxy_fidelity`) trains on it, from
            scratch, keeping no checkpoint or weights (nothing on the full graph can continue
            a subgraph's embedding tables).
    """

    def __init__(
        self,
        optim: Optim,
        settings: TrainSettings,
        split: Split,
        objective: str,
        max_seconds: float | None = None,
        log_dir: Path | None = None,
        checkpoint_dir: Path | None = None,
        full_fidelity: int | None = None,
        weights_dir: Path | None = None,
        proxy_split: Split | None = None,
    ) -> None:
        self.optim, self.settings = optim, settings
        self.weights_dir = weights_dir
        self.checkpoint_dir, self.full_fidelity = checkpoint_dir, full_fidelity
        # Trials keep the text encoder frozen; LoRA fine-tuning (item_features.text.finetune)
        # is for the final retrains, which train on the unmodified split.
        self.split = frozen_text(split)
        self.proxy_split = frozen_text(proxy_split) if proxy_split is not None else None
        self.metric, self.objective = objective, f"val/{objective}"
        self.max_seconds = max_seconds
        self.log_dir = log_dir
        quiet_lightning()

    def training_options(self, point: Point) -> tuple[Architecture, Optim]:
        """The architecture and training recipe a point stands for."""
        arch_values, optim_values = split_point(point)
        return Architecture.from_dict(arch_values), self.optim.updated(optim_values)

    def __call__(
        self, point: Point, fidelity: int | None = None, parent: Parent | None = None
    ) -> TrialResult:
        quiet_lightning()  # again here: in a Ray worker this object arrives unpickled
        start = time.perf_counter()
        proxy = on_proxy(fidelity)
        try:
            architecture, optim = self.training_options(point)
            result = fit(
                architecture,
                optim,
                self._proxy() if proxy else self.split,
                self.settings,
                max_epochs=fidelity_epochs(fidelity),
                max_seconds=self.max_seconds,
                test=False,
                log_dir=self.log_dir / trial_folder(point, fidelity) if self.log_dir else None,
                init_from=None if proxy else self._parent_weights(parent),
                **({} if proxy else self._checkpoints(point, fidelity)),
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
            "epochs": result.epochs_trained,
        }
        if result.start_epoch:
            cost["resumed_from"] = result.start_epoch
        if result.inherited:
            cost["inherited"] = len(result.inherited)
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
        utility = metric_utility(self.metric, value)
        if self.weights_dir is not None and not proxy:
            save_weights(result.module.model, self.weights_path(point, fidelity))
        return TrialResult(objective=utility, metrics=result.valid, cost=cost, fidelity=fidelity)

    def _proxy(self) -> Split:
        if self.proxy_split is None:
            raise ValueError("a proxy trial needs the evaluator's proxy_split (search.proxy_users)")
        return self.proxy_split

    def weights_path(self, point: Point, fidelity: int | None) -> Path:
        """Where a trial's trained weights are kept while the search runs."""
        assert self.weights_dir is not None
        return self.weights_dir / f"{trial_folder(point, fidelity)}.weights.pt"

    def _parent_weights(self, parent: Parent | None) -> Path | None:
        """``fit``'s ``init_from``: the parent's saved weights, where they can be read."""
        if parent is None or self.weights_dir is None:
            return None
        path = self.weights_path(parent.point, parent.fidelity)
        return path if path.is_file() else None

    def _checkpoints(self, point: Point, fidelity: int | None) -> dict[str, Path | None]:
        """``fit``'s ``resume_from`` (this point's highest lower-fidelity checkpoint) and
        ``checkpoint_to`` (kept only below full fidelity: nothing continues a full trial)."""
        if self.checkpoint_dir is None or fidelity is None:
            return {}

        def saved(epochs: int) -> Path:
            return self.checkpoint_dir / f"{trial_folder(point, epochs)}.ckpt"

        lower = (saved(f) for f in range(fidelity - 1, 0, -1))
        full = self.full_fidelity
        return {
            "resume_from": next((path for path in lower if path.is_file()), None),
            "checkpoint_to": saved(fidelity) if full is None or fidelity < full else None,
        }
