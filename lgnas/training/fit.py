"""Train and evaluate one architecture: the one path single runs, trials and retrains share."""

from __future__ import annotations

import importlib.util
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback, Timer
from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger

from lgnas.data.splits import Split
from lgnas.errors import ConfigError
from lgnas.models.best_weights import BestWeights
from lgnas.models.blend import Blend
from lgnas.models.early_stopping import WarmupEarlyStopping
from lgnas.models.ensemble import Ensemble
from lgnas.models.families import Model
from lgnas.models.graph_filter import GraphFilter
from lgnas.models.inherit import inherit_weights, load_weights
from lgnas.models.optim import Optim
from lgnas.models.warm_start import ResumableCheckpoint
from lgnas.training.blend import fit_blend
from lgnas.training.closed_form import fit_graph_filter
from lgnas.training.ensemble import fit_ensemble
from lgnas.training.host import prepare_host
from lgnas.training.result import StopReason, TrainResult
from lgnas.training.settings import TrainSettings, spawned_processes
from lgnas.training.task import task_parts
from lgnas.trials import is_minimised

# Lightning 2.6 calls a torch pytree API that torch 2.13 deprecates; nothing for users to do.
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")


def fit(
    architecture: Model,
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
    init_from: Path | None = None,
    callbacks: Sequence[Callback] = (),
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
    then scores the best weights of all epochs, the resumed ones included. ``init_from``
    (weights :func:`~lgnas.models.inherit.save_weights` wrote, e.g. a staged search's parent)
    starts the model from those tensors whose name and shape it shares, with a fresh
    optimiser; the result lists them (``inherited``). A ``resume_from`` checkpoint wins: it
    already holds what the first fit inherited.

    The result says why training ended (``stop_reason``: ``early_stop``, ``epoch_cap`` or
    ``time_limit``) and whether it was ``still_improving`` then (see :class:`TrainResult`).
    ``callbacks`` are extra Lightning callbacks that watch the training (a progress display);
    they must not change it. They run in this process only: with ``trainer.devices=N`` the
    spawned ranks train without them.

    A :class:`~lgnas.models.graph_filter.GraphFilter` is computed, not trained
    (:func:`~lgnas.training.closed_form.fit_graph_filter`): it has no epochs, so the
    arguments about epochs, time, checkpoints and callbacks do not apply to it. A
    :class:`~lgnas.models.blend.Blend` trains its GNN as above, then blends it with its
    filter (:func:`~lgnas.training.blend.fit_blend`). An
    :class:`~lgnas.models.ensemble.Ensemble` trains each member as above with its own recipe
    (``optim`` unused), then weights them (:func:`~lgnas.training.ensemble.fit_ensemble`).
    """
    if isinstance(architecture, Ensemble):
        members = [
            fit(
                arch,
                recipe,
                split,
                settings,
                max_epochs=max_epochs,
                max_seconds=max_seconds,
                test=False,
                log_dir=None if log_dir is None else Path(log_dir) / f"member-{n}",
                callbacks=callbacks,
            )
            for n, (arch, recipe) in enumerate(architecture.members)
        ]
        return fit_ensemble(architecture, members, split, settings, test=test, log_dir=log_dir)
    if isinstance(architecture, GraphFilter | Blend):
        if settings.task != "ranking":
            raise ConfigError(
                f"task={settings.task}: a graph filter only ranks items (task=ranking); "
                "choose a GNN model for the click-through task"
            )
        if isinstance(architecture, GraphFilter):
            return fit_graph_filter(architecture, split, settings, test=test, log_dir=log_dir)
        base = fit(
            architecture.base,
            optim,
            split,
            settings,
            max_epochs=max_epochs,
            max_seconds=max_seconds,
            test=False,
            log_dir=log_dir,
            resume_from=resume_from,
            checkpoint_to=checkpoint_to,
            init_from=init_from,
            callbacks=callbacks,
        )
        return fit_blend(architecture, base, split, settings, optim, test=test, log_dir=log_dir)
    world_size = spawned_processes(settings.trainer)
    if world_size:
        from lgnas.training.distributed import fit_in_processes

        options = {"max_epochs": max_epochs, "max_seconds": max_seconds, "test": test}
        options.update(log_dir=log_dir, resume_from=resume_from, checkpoint_to=checkpoint_to)
        options.update(init_from=init_from)
        return fit_in_processes(world_size, architecture, optim, split, settings, **options)
    prepare_host(settings.threads)
    L.seed_everything(settings.seed, workers=True, verbose=False)
    evaluation = settings.eval
    data, module = task_parts(architecture, optim, split, settings)
    inherited: list[str] = []
    if init_from is not None and resume_from is None:
        inherited = inherit_weights(module.model, load_weights(init_from))
    monitor = f"val/{evaluation.monitor}"
    mode = "min" if is_minimised(evaluation.monitor) else "max"
    best = BestWeights(monitor, mode=mode)
    # Only propagation from fresh weights starts from a popularity-like ranking whose score
    # dips first; trained weights (a fine-tune) start past it.
    warmup = evaluation.warmup if architecture.num_layers and not inherited else 0
    stopper = WarmupEarlyStopping(
        warmup=warmup,
        monitor=monitor,
        mode=mode,
        patience=evaluation.patience,
        check_on_train_epoch_end=False,  # on validation end: before the epoch's checkpoint
    )
    trainer_args: dict[str, Any] = dict(settings.trainer)
    if max_epochs is not None:
        trainer_args["max_epochs"] = max_epochs
    if max_seconds is not None:
        trainer_args["max_time"] = {"seconds": max_seconds}
    trainer_args["logger"] = training_loggers(log_dir) if trainer_args.get("logger") else False
    resumable = ResumableCheckpoint(checkpoint_to)
    watching = [best, stopper, resumable, *callbacks]
    trainer = L.Trainer(**trainer_args, callbacks=watching, num_sanity_val_steps=0)
    start = time.perf_counter()
    trainer.fit(module, datamodule=data, ckpt_path=resume_from)
    train_seconds = time.perf_counter() - start
    epochs, stop = trainer.current_epoch, _stop_reason(trainer, stopper, resumable.start_epoch)
    # Cut short with its best epoch among the last `patience`: early stopping would go on.
    since_best = None if best.best_epoch is None else epochs - 1 - best.best_epoch
    still_improving = stop != "early_stop" and (
        since_best is None or since_best < evaluation.patience
    )
    valid = _floats(trainer.validate(module, datamodule=data, verbose=False)[0])
    tested = _floats(trainer.test(module, datamodule=data, verbose=False)[0]) if test else {}
    return TrainResult(
        architecture=architecture,
        valid=valid,
        test=tested,
        best_epoch=best.best_epoch,
        epochs=epochs,
        train_seconds=train_seconds,
        num_parameters=sum(p.numel() for p in module.parameters() if p.requires_grad),
        module=module,
        start_epoch=resumable.start_epoch,
        inherited=tuple(inherited),
        stop_reason=stop,
        still_improving=still_improving,
    )


def _stop_reason(trainer: L.Trainer, stopper: WarmupEarlyStopping, start_epoch: int) -> StopReason:
    """Why ``trainer.fit`` ended: early stopping asked for it during this fit; else the epoch
    cap was reached; else a time limit (``max_seconds`` or ``trainer.max_time``) ended it
    first. Anything else that ends a fit short of the cap (``trainer.max_steps``) counts as a
    cap."""
    if stopper.stopped_since(start_epoch):
        return "early_stop"
    cap = trainer.max_epochs
    if cap is not None and cap >= 0 and trainer.current_epoch >= cap:
        return "epoch_cap"
    timers = [c for c in trainer.callbacks if isinstance(c, Timer)]
    if any(t.time_remaining() is not None and t.time_remaining() <= 0 for t in timers):
        return "time_limit"
    return "epoch_cap"


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
