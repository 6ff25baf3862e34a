"""How every training runs: seed, threads, evaluation and the Lightning Trainer's arguments."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lgnas.errors import ConfigError
from lgnas.metrics import CLICK_METRICS, RANKING_METRICS, ranking_keys
from lgnas.settings import check_number, from_mapping

METRICS = ("recall", "ndcg", "precision", "hit", "mrr")
"""The metrics evaluated by default; ``eval.metrics`` may name any of ``RANKING_METRICS``."""

TASK_METRICS: dict[str, tuple[str, ...]] = {
    "ranking": RANKING_METRICS,
    "ctr": tuple(CLICK_METRICS),
}
"""The metrics each task (``task``) evaluates: full ranking, or labelled impressions."""


@dataclass(frozen=True)
class EvalSettings:
    """The ``eval`` config group: full-ranking evaluation and early stopping.

    Attributes:
        metrics: Metrics computed on validation and test, from the task's
            :data:`TASK_METRICS` (default :data:`METRICS`, ranking's).
        ks: Cut-offs each top-K metric is computed at (``auc`` has none).
        monitor: The validation metric early stopping and the best weights follow, in its
            own direction (:func:`lgnas.trials.is_minimised`).
        batch_size: Users scored per full-ranking batch.
        patience: Validation checks without improvement before training stops.
        warmup: Epochs before patience starts counting for a model with message passing,
            whose validation score dips before it improves; one without (matrix
            factorisation) counts from the first epoch.
    """

    metrics: tuple[str, ...] = METRICS
    ks: tuple[int, ...] = (10, 20)
    monitor: str = "ndcg@20"
    batch_size: int = 1024
    patience: int = 10
    warmup: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", tuple(self.metrics))
        object.__setattr__(self, "ks", tuple(self.ks))
        known = dict.fromkeys(name for names in TASK_METRICS.values() for name in names)
        unknown = [m for m in self.metrics if m not in known]
        if unknown or not self.metrics:
            raise ConfigError(f"eval.metrics={list(self.metrics)}: choose from {list(known)}")
        for k in self.ks:
            check_number("eval.ks", k, minimum=1, integer=True)
        check_number("eval.batch_size", self.batch_size, minimum=1, integer=True)
        check_number("eval.patience", self.patience, minimum=0, integer=True)
        check_number("eval.warmup", self.warmup, minimum=0, integer=True)
        if self.monitor not in self.logged:
            raise ConfigError(
                f"eval.monitor={self.monitor!r} is not among the evaluated metrics "
                f"{list(self.logged)}; change it or eval.metrics / eval.ks"
            )

    @property
    def logged(self) -> tuple[str, ...]:
        """Every metric key evaluated: ``metric@k`` for top-K metrics (``ndcg@20``), the bare
        name for whole-ranking ones (``auc``)."""
        return ranking_keys(self.metrics, self.ks)


@dataclass(frozen=True)
class TrainSettings:
    """What every fit shares beyond the architecture and the recipe (:class:`Optim`).

    Attributes:
        seed: Seeds weights, negatives and batch order.
        task: ``ranking`` (top-K recommendation, the default) or ``ctr`` (click-through
            prediction on labelled impressions); it decides the data, the training and
            which metrics ``eval`` may name.
        threads: Torch intra-op threads of the fit; the one place a training's thread
            count is set (an executor that reserves CPUs per trial sets it here).
        eval: Evaluation and early stopping.
        trainer: Keyword arguments of Lightning's ``Trainer`` (the ``trainer`` group);
            ``devices=N > 1`` trains in N spawned DDP processes.
    """

    seed: int = 0
    threads: int = 1
    eval: EvalSettings = field(default_factory=EvalSettings)
    trainer: Mapping[str, Any] = field(default_factory=dict)
    task: str = "ranking"

    def __post_init__(self) -> None:
        check_number("seed", self.seed, integer=True)
        check_number("threads", self.threads, minimum=1, integer=True)
        if isinstance(self.eval, Mapping):
            object.__setattr__(self, "eval", from_mapping(EvalSettings, self.eval, "eval"))
        if self.task not in TASK_METRICS:
            raise ConfigError(f"task={self.task!r}: choose from {list(TASK_METRICS)}")
        wrong = [m for m in self.eval.metrics if m not in TASK_METRICS[self.task]]
        if wrong:
            raise ConfigError(
                f"eval.metrics={list(self.eval.metrics)}: task={self.task} evaluates "
                f"{list(TASK_METRICS[self.task])}, not {wrong}; choose among those (task=ctr "
                "sets its own eval.metrics, eval.monitor and search.objective)"
            )
        if not isinstance(self.trainer, Mapping):
            raise ConfigError(f"trainer={self.trainer!r} must be a mapping of Trainer arguments")
        object.__setattr__(self, "trainer", dict(self.trainer))
        spawned_processes(self.trainer)  # its errors name the key at fault

    @classmethod
    def from_config(
        cls,
        *,
        seed: Any,
        threads: Any,
        eval: Any = None,
        trainer: Any = None,
        task: Any = None,
    ) -> TrainSettings:
        """From the plain values of the top-level ``seed``, ``threads`` and ``task`` and the
        ``eval`` and ``trainer`` groups."""
        evaluation = from_mapping(EvalSettings, eval, "eval")
        return cls(
            seed=seed,
            threads=threads,
            eval=evaluation,
            trainer=dict(trainer or {}),
            task=task or "ranking",
        )

    def replace(self, **changes: Any) -> TrainSettings:
        """A copy with some fields changed (``trainer`` entries merge into the current ones)."""
        if "trainer" in changes:
            changes["trainer"] = {**self.trainer, **changes["trainer"]}
        return dataclasses.replace(self, **changes)

    def identity(self) -> dict[str, Any]:
        """Plain values that decide what a fit computes, as a search journal records them
        (the task only when it is not ranking, so earlier journals still resume)."""
        task = {} if self.task == "ranking" else {"task": self.task}
        return {
            "eval": dataclasses.asdict(self.eval),
            "trainer": dict(self.trainer),
            "threads": self.threads,
            "seed": self.seed,
            **task,
        }


def spawned_processes(trainer: Mapping[str, Any]) -> int:
    """How many processes a fit with these Trainer arguments spawns (0: it trains in place).

    Nothing is spawned inside an already launched DDP process (``torchrun``, SLURM ``srun``
    or lgnas's own ranks): there Lightning joins the existing process group.

    Raises:
        ConfigError: ``trainer.devices`` is not a positive whole number of devices, or
            ``trainer.num_nodes`` asks for several machines.
    """
    devices = trainer.get("devices", 1)
    if devices in ("auto", -1) or isinstance(devices, list | tuple):
        return 0  # Lightning's own choice; left to it
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise ConfigError(f"trainer.devices={devices!r} must be a whole number of devices >= 1")
    if devices == 1 or "WORLD_SIZE" in os.environ:
        return 0
    if trainer.get("num_nodes", 1) != 1:
        raise ConfigError(
            "trainer.num_nodes>1: start one process per device with torchrun or srun instead; "
            "lgnas spawns processes on one machine only"
        )
    return devices
