"""``trainer.devices=N``: one fit in N freshly spawned DDP processes, safe inside a search.

Lightning's ``ddp`` strategy relaunches the *whole script* once per device, which for a search
would start N searches. Here only the fit is spawned (``spawn`` start method: fresh
interpreters, no forked CUDA or Ray state): each process joins one process group (gloo on CPU,
NCCL on GPUs) as a rank of an externally launched DDP run, trains and evaluates, and rank 0
hands the result back. A fit spawned this way runs once with its process group for
training, validation and test, instead of once per ``trainer.fit`` / ``validate`` / ``test``
as with ``ddp_spawn``.
"""

from __future__ import annotations

import inspect
import logging
import os
import socket
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from lgnas.errors import ConfigError

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from lgnas.train import TrainResult

LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "pytorch_lightning")
"""Where Lightning logs its banners; the ranks copy their caller's levels of these."""
STRATEGY = "lgnas_ddp"
"""The Lightning strategy each rank trains with (registered in :func:`_register_strategy`)."""


def processes_to_spawn(trainer_cfg: DictConfig) -> int:
    """How many processes a fit with this ``trainer`` config must spawn (0: train in place).

    Nothing is spawned inside an already launched DDP process (``torchrun``, SLURM ``srun``
    or our own ranks): there Lightning joins the existing process group.

    Raises:
        ConfigError: ``trainer.devices`` is not a positive whole number of devices.
    """
    devices = trainer_cfg.get("devices", 1)
    if devices in ("auto", -1) or isinstance(devices, list | tuple):
        return 0  # Lightning's own choice; left to it
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise ConfigError(f"trainer.devices={devices!r} must be a whole number of devices >= 1")
    if devices == 1 or "WORLD_SIZE" in os.environ:
        return 0
    if trainer_cfg.get("num_nodes", 1) != 1:
        raise ConfigError(
            "trainer.num_nodes>1: start one process per device with torchrun or srun instead; "
            "lgnas spawns processes on one machine only"
        )
    return devices


def fit_in_processes(
    world_size: int,
    architecture: Any,
    optim: dict[str, Any],
    split: Any,
    cfg: DictConfig,
    **options: Any,
) -> TrainResult:
    """:func:`lgnas.train.fit` in ``world_size`` spawned DDP processes; rank 0's result.

    Raises:
        torch.multiprocessing.ProcessRaisedException: A rank raised (the others are stopped).
    """
    # The ranks log as quietly as their caller (a search silences Lightning's banners).
    levels = {name: logging.getLogger(name).level for name in LIGHTNING_LOGGERS}
    with tempfile.TemporaryDirectory(prefix="lgnas-ddp-") as folder:
        result_path = Path(folder) / "result.pt"
        fit_args = (architecture, optim, split, cfg, options)
        torch.multiprocessing.start_processes(
            _rank_main,
            args=(world_size, _free_port(), result_path, levels, *fit_args),
            nprocs=world_size,
            join=True,
            start_method="spawn",
        )
        return torch.load(result_path, weights_only=False)


def _rank_main(
    rank: int,
    world_size: int,
    port: int,
    result_path: Path,
    levels: dict[str, int],
    architecture: Any,
    optim: dict[str, Any],
    split: Any,
    cfg: DictConfig,
    options: dict[str, Any],
) -> None:
    from omegaconf import OmegaConf, open_dict

    from lgnas.train import fit

    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        WORLD_SIZE=str(world_size),
        NODE_RANK="0",
        RANK=str(rank),
        LOCAL_RANK=str(rank),
    )
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    # The ranking metrics sync their sum states themselves (torchmetrics), so every rank logs
    # the global value and Lightning's advice to add sync_dist does not apply.
    warnings.filterwarnings("ignore", message=r"It is recommended to use `self.log\(")
    _register_strategy()
    cfg = cfg.copy()
    OmegaConf.set_readonly(cfg, False)
    with open_dict(cfg):
        if cfg.trainer.get("strategy", "auto") == "auto":
            cfg.trainer.strategy = STRATEGY
    result = fit(architecture, optim, split, cfg, **options)
    if rank == 0:
        torch.save(result, result_path)


def _register_strategy() -> None:
    """DDP that tolerates parameters an architecture never uses (``static_graph``: the set of
    used parameters is fixed per architecture, so no per-step search for unused ones), and
    does not re-broadcast the graph buffers (constant) before every forward."""
    from lightning.pytorch.strategies import DDPStrategy, StrategyRegistry
    from torch.nn.parallel import DistributedDataParallel

    if STRATEGY not in StrategyRegistry:
        # torch 2.13 renamed the switch (and warns on the old name); older torch has only it.
        known = inspect.signature(DistributedDataParallel).parameters
        no_sync = "forward_sync_buffers" if "forward_sync_buffers" in known else "broadcast_buffers"
        StrategyRegistry.register(
            STRATEGY,
            DDPStrategy,
            description="lgnas: DDP in processes spawned for one fit",
            static_graph=True,
            **{no_sync: False},
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
