"""Train and evaluate one architecture: the one path single runs, trials and retrains share."""

from __future__ import annotations

import importlib.util
import time
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger

from lgnas.data.datamodule import RecDataModule
from lgnas.data.splits import Split
from lgnas.models.architecture import Architecture
from lgnas.models.best_weights import BestWeights
from lgnas.models.early_stopping import WarmupEarlyStopping
from lgnas.models.module import RecommenderModule
from lgnas.models.optim import Optim
from lgnas.models.recommender import GNNRecommender
from lgnas.models.warm_start import ResumableCheckpoint
from lgnas.training.result import TrainResult
from lgnas.training.settings import TrainSettings, spawned_processes

# Lightning 2.6 calls a torch pytree API that torch 2.13 deprecates; nothing for users to do.
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")


def fit(
    architecture: Architecture,
    optim: Optim,
    split: Split,
    settings: TrainSettings,
    *,
    max_epochs: int | None = None,
    max_seconds: float | None = None,
    test: bool = True,
    log_dir: Path | None = None,
    resume_from: Path | None = None,
    checkpoint_to: Path | None = None,
) -> TrainResult:
    """Train one architecture on ``split.train``, early-stopped on validation; test once.

    The one training path: single runs, search trials (``max_epochs`` = the trial's fidelity,
    ``test=False`` so the test split is never touched during search) and final retrains.
    ``max_seconds`` ends training early (keeping the best weights so far), so one slow
    candidate cannot eat a search's budget. With ``trainer.logger: true`` the epoch metrics go
    to ``log_dir`` (see :func:`training_loggers`); without a ``log_dir`` nothing is logged.
    ``trainer.devices=N`` (N > 1) runs this fit in N spawned DDP processes
    (:mod:`lgnas.training.distributed`), never relaunching the calling script.

    ``checkpoint_to`` saves the complete training state when training ends, and
    ``resume_from`` continues such a checkpoint up to ``max_epochs`` (a multi-fidelity
    search's warm start, :class:`~lgnas.models.warm_start.ResumableCheckpoint`); the result
    then scores the best weights of all epochs, the resumed ones included.
    """
    world_size = spawned_processes(settings.trainer)
    if world_size:
        from lgnas.training.distributed import fit_in_processes

        options = {"max_epochs": max_epochs, "max_seconds": max_seconds, "test": test}
        options.update(log_dir=log_dir, resume_from=resume_from, checkpoint_to=checkpoint_to)
        return fit_in_processes(world_size, architecture, optim, split, settings, **options)
    torch.set_num_threads(settings.threads)
    L.seed_everything(settings.seed, workers=True, verbose=False)
    evaluation = settings.eval
    data = RecDataModule(
        split,
        batch_size=optim.batch_size,
        num_negatives=optim.num_negatives,
        eval_batch_size=evaluation.batch_size,
        seed=settings.seed,
    )
    module = RecommenderModule(
        GNNRecommender(architecture, data.graph, content=split.item_content),
        loss=optim.loss,
        lr=float(optim.lr),
        weight_decay=float(optim.weight_decay),
        reg=float(optim.reg),
        temperature=float(optim.temperature),
        metrics=list(evaluation.metrics),
        ks=list(evaluation.ks),
    )
    monitor = f"val/{evaluation.monitor}"
    best = BestWeights(monitor, mode="max")
    stopper = WarmupEarlyStopping(
        warmup=evaluation.warmup, monitor=monitor, mode="max", patience=evaluation.patience
    )
    trainer_args: dict[str, Any] = dict(settings.trainer)
    if max_epochs is not None:
        trainer_args["max_epochs"] = max_epochs
    if max_seconds is not None:
        trainer_args["max_time"] = {"seconds": max_seconds}
    trainer_args["logger"] = training_loggers(log_dir) if trainer_args.get("logger") else False
    resumable = ResumableCheckpoint(checkpoint_to)
    callbacks = [best, stopper, resumable]
    trainer = L.Trainer(**trainer_args, callbacks=callbacks, num_sanity_val_steps=0)
    start = time.perf_counter()
    trainer.fit(module, datamodule=data, ckpt_path=resume_from)
    train_seconds = time.perf_counter() - start
    valid = _floats(trainer.validate(module, datamodule=data, verbose=False)[0])
    tested = _floats(trainer.test(module, datamodule=data, verbose=False)[0]) if test else {}
    return TrainResult(
        architecture=architecture,
        valid=valid,
        test=tested,
        best_epoch=best.best_epoch,
        epochs=trainer.current_epoch,
        train_seconds=train_seconds,
        num_parameters=sum(p.numel() for p in module.parameters() if p.requires_grad),
        module=module,
        start_epoch=resumable.start_epoch,
    )


def training_loggers(log_dir: Path | None) -> list[Logger] | bool:
    """Lightning's CSV logger in ``log_dir``, plus TensorBoard's when it is installed.

    Both write once per epoch (the module logs epoch means only), so a search's hundreds of
    short trials pay little for their curves. ``False`` (no logging) without a ``log_dir``,
    so library calls of :func:`fit` never litter the working directory.
    """
    if log_dir is None:
        return False
    loggers: list[Logger] = [CSVLogger(log_dir, name="", version="")]
    if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
        loggers.append(TensorBoardLogger(log_dir, name="", version="", default_hp_metric=False))
    return loggers


def _floats(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()}
