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

if TYPE_CHECKING:
    from lgnas.training.result import TrainResult
    from lgnas.training.settings import TrainSettings

logger = logging.getLogger(__name__)
LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "pytorch_lightning")
"""Where Lightning logs its banners; the ranks copy their caller's levels of these."""
STRATEGY = "lgnas_ddp"
"""The Lightning strategy each rank trains with (registered in :func:`_register_strategy`)."""


def fit_in_processes(
    world_size: int,
    architecture: Any,
    optim: dict[str, Any],
    split: Any,
    settings: TrainSettings,
    **options: Any,
) -> TrainResult:
    """:func:`lgnas.training.fit` in ``world_size`` spawned DDP processes; rank 0's result.

    Raises:
        torch.multiprocessing.ProcessRaisedException: A rank raised (the others are stopped).
    """
    # The ranks log as quietly as their caller (a search silences Lightning's banners).
    levels = {name: logging.getLogger(name).level for name in LIGHTNING_LOGGERS}
    # Each spawned process imports torch and builds the model before training: seconds.
    logger.info("starting %d DDP processes for one fit", world_size)
    with tempfile.TemporaryDirectory(prefix="lgnas-ddp-") as folder:
        result_path = Path(folder) / "result.pt"
        fit_args = (architecture, optim, split, settings, options)
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
    settings: TrainSettings,
    options: dict[str, Any],
) -> None:
    from lgnas.training.fit import fit

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
    if settings.trainer.get("strategy", "auto") == "auto":
        settings = settings.replace(trainer={"strategy": STRATEGY})
    result = fit(architecture, optim, split, settings, **options)
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
