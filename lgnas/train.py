"""Train and evaluate one architecture: the path baselines and the search's trials share.

``python -m lgnas.train model=lightgcn dataset=ml100k`` trains the model on the training split,
early-stops on the validation metric, restores the best weights and evaluates once on test.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import torch
from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger
from omegaconf import DictConfig, OmegaConf

from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.data.datamodule import RecDataModule
from lgnas.data.splits import Split
from lgnas.distributed import fit_in_processes, processes_to_spawn
from lgnas.errors import ConfigError, LgnasError
from lgnas.models.architecture import Architecture, preset
from lgnas.models.best_weights import BestWeights
from lgnas.models.early_stopping import WarmupEarlyStopping
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender
from lgnas.models.warm_start import ResumableCheckpoint

# Lightning 2.6 calls a torch pytree API that torch 2.13 deprecates; nothing for users to do.
warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated")


@dataclass
class TrainResult:
    """What one training run produced."""

    architecture: Architecture
    valid: dict[str, float]
    test: dict[str, float]
    best_epoch: int | None
    epochs: int  # the model's epochs in all, those of a resumed checkpoint included
    train_seconds: float
    num_parameters: int
    module: RecommenderModule = field(repr=False)
    start_epoch: int = 0  # epochs the fit resumed after (``resume_from``); 0: from scratch

    @property
    def epochs_trained(self) -> int:
        """Epochs this fit trained itself."""
        return self.epochs - self.start_epoch


def resolve_model(cfg: DictConfig) -> tuple[Architecture, dict[str, Any]]:
    """The architecture and training options ``cfg.model`` names.

    ``model.path`` loads a YAML file with ``arch`` (and optionally ``optim``), such as a search's
    ``best_architecture.yaml``; the file's ``optim`` values replace those of ``cfg.optim``
    (they are part of what was found); otherwise ``model.preset`` plus ``model.arch``
    overrides, or ``model.arch`` alone.
    """
    optim = OmegaConf.to_container(cfg.optim, resolve=True)
    model = cfg.model
    if model.get("path"):
        path = Path(str(model.path)).expanduser()
        if not path.is_file():
            raise ConfigError(f"model.path: architecture file not found: {path}")
        saved = OmegaConf.load(path)
        if "arch" not in saved:
            raise ConfigError(f"model.path: {path} has no 'arch' mapping")
        optim.update(OmegaConf.to_container(saved.get("optim") or {}, resolve=True))
        return Architecture.from_dict(OmegaConf.to_container(saved.arch, resolve=True)), optim
    arch = model.get("arch")
    arch = OmegaConf.to_container(arch, resolve=True) if arch is not None else {}
    name = model.get("preset")
    return (preset(name, **arch) if name else Architecture.from_dict(arch)), optim


def train(cfg: DictConfig, output_dir: str | Path | None = None) -> TrainResult:
    """Train ``cfg.model`` on ``cfg.dataset``; write metrics and weights into ``output_dir``."""
    architecture, optim = resolve_model(cfg)
    split = prepare_dataset(cfg.dataset, seed=int(cfg.seed))
    logs = Path(output_dir) / "logs" if output_dir is not None else None
    result = fit(architecture, optim, split, cfg, log_dir=logs)
    if output_dir is not None:
        save_result(result, Path(output_dir), optim)
    return result


def fit(
    architecture: Architecture,
    optim: dict[str, Any],
    split: Split,
    cfg: DictConfig,
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
    (:mod:`lgnas.distributed`), never relaunching the calling script.

    ``checkpoint_to`` saves the complete training state when training ends, and
    ``resume_from`` continues such a checkpoint up to ``max_epochs`` (a multi-fidelity
    search's warm start, :class:`~lgnas.models.warm_start.ResumableCheckpoint`); the result
    then scores the best weights of all epochs, the resumed ones included.
    """
    world_size = processes_to_spawn(cfg.trainer)
    if world_size:
        options = {"max_epochs": max_epochs, "max_seconds": max_seconds, "test": test}
        options.update(log_dir=log_dir, resume_from=resume_from, checkpoint_to=checkpoint_to)
        return fit_in_processes(world_size, architecture, optim, split, cfg, **options)
    torch.set_num_threads(int(cfg.threads))
    L.seed_everything(int(cfg.seed), workers=True, verbose=False)
    data = RecDataModule(
        split,
        batch_size=int(optim["batch_size"]),
        num_negatives=int(optim["num_negatives"]),
        eval_batch_size=int(cfg.eval.batch_size),
        seed=int(cfg.seed),
    )
    module = RecommenderModule(
        GNNRecommender(architecture, data.graph, content=split.item_content),
        loss=optim["loss"],
        lr=float(optim["lr"]),
        weight_decay=float(optim["weight_decay"]),
        reg=float(optim["reg"]),
        temperature=float(optim.get("temperature", 1.0)),  # runs saved before it existed
        metrics=list(cfg.eval.metrics),
        ks=list(cfg.eval.ks),
    )
    monitor = f"val/{cfg.eval.monitor}"
    best = BestWeights(monitor, mode="max")
    stopper = WarmupEarlyStopping(
        warmup=int(cfg.eval.get("warmup", 0)),
        monitor=monitor,
        mode="max",
        patience=int(cfg.eval.patience),
    )
    trainer_args = OmegaConf.to_container(cfg.trainer, resolve=True)
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


def save_result(result: TrainResult, output_dir: Path, optim: dict[str, Any]) -> None:
    """Write ``metrics.json``, ``architecture.yaml`` (loadable with ``model.path``) and
    ``model.pt`` (weights + architecture)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    summary = {
        "valid": result.valid,
        "test": result.test,
        "best_epoch": result.best_epoch,
        "epochs": result.epochs,
        "train_seconds": result.train_seconds,
        "num_parameters": result.num_parameters,
    }
    arch = result.architecture.to_dict()
    OmegaConf.save(
        OmegaConf.create({"arch": arch, "optim": optim}), output_dir / "architecture.yaml"
    )
    torch.save(
        {"architecture": arch, "state_dict": result.module.model.state_dict()},
        output_dir / "model.pt",
    )
    # Last: a metrics.json marks a complete result (a search reuses such folders).
    (output_dir / "metrics.json").write_text(json.dumps(summary, indent=2))


@hydra.main(config_path=config_dir(), config_name="train", version_base=None)
def main(cfg: DictConfig) -> float:
    """Hydra entry point; returns the validation objective so sweepers can use it."""
    output_dir = Path(hydra.core.hydra_config.HydraConfig.get().runtime.output_dir)
    try:
        result = train(cfg, output_dir)
    except LgnasError as error:  # bad input: one clear line, no traceback
        sys.exit(f"lgnas.train: error: {error}")
    print(f"validation: {_summary(result.valid)}")
    print(f"test:       {_summary(result.test)}")
    print(f"outputs in {output_dir}")
    return result.valid[f"val/{cfg.eval.monitor}"]


def _summary(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k.split('/')[-1]}={v:.4f}" for k, v in sorted(metrics.items()))


if __name__ == "__main__":
    main()
