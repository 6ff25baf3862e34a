"""Live progress of a search in the terminal (rich), through every phase: one bar over the
trials (done, best so far, the running trial, an estimate of the time left), then a line per
retrain (model, epoch, best validation score so far, elapsed time, an upper bound on what is
left).

Where the output is no terminal (a log file, CI, ``nohup``, a batch job) a live display shows
nothing until it stops, so each finished trial and retrain is also logged as a plain line.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Timer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lgnas.trials import Candidate, TrialResult, metric_better, metric_utility

logger = logging.getLogger(__name__)


class SearchProgress:
    """A progress display over the trial budget, then over each final retrain.

    Args:
        total: Trials in the budget (``None``: unknown, as with a multi-fidelity scheduler).
        objective: The validation metric searched (``ndcg@20``).
        console: Where to draw (default: the terminal).
        seconds: The budget's trial seconds, if any: the estimate of what is left never
            exceeds what remains of it.
    """

    def __init__(
        self,
        total: int | None,
        objective: str,
        console: Console | None = None,
        seconds: float | None = None,
    ) -> None:
        self.objective, self.total, self.budget_seconds = objective, total, seconds
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}"),
            TextColumn("{task.fields[info]}"),
            console=console,
            transient=False,
        )
        self.finished, self.trial_seconds = 0, 0.0
        self.best = "-"
        self.plain = not self.progress.console.is_terminal  # no live display: log lines
        self.task = self.progress.add_task(
            "search", total=total, count=self._count(), left="", info=""
        )

    def __enter__(self) -> SearchProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def phase(self, text: str) -> None:
        """Say what the search is waiting on before its first trial (e.g. Ray starting)."""
        self.progress.update(self.task, info=text)

    def start(self, candidate: Candidate, fields: dict[str, Any] | None = None) -> None:
        """Show a trial that starts; ``fields`` are what its strategy records of it
        (:meth:`~lgnas.strategies.SearchStrategy.trial_fields`: a staged search's stage)."""
        summary = ", ".join(f"{k}={v}" for k, v in list(candidate.point.items())[:4])
        self._show_trial(f"{_trial(candidate, fields)}: {summary}")

    def finish(
        self,
        candidate: Candidate,
        result: TrialResult,
        best: TrialResult | None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        """Count a finished trial; ``best`` is the best result so far (``None``: none ok),
        ``fields`` as in :meth:`start`."""
        self.finished += 1
        self.trial_seconds += float(result.cost.get("seconds", 0.0))
        if best is None or best.objective is None:
            self.best = "-"
        else:  # an objective is a utility: shown as the metric's value
            self.best = f"{self.objective}={metric_utility(self.objective, best.objective):.4f}"
        trial = _trial(candidate, fields)
        status = "" if result.ok else f"{trial} failed: {result.error}"
        self.progress.update(self.task, advance=1, count=self._count(), left=self._left())
        self._show_trial(status)
        if self.plain:
            seconds = float(result.cost.get("seconds", 0.0))
            value = (
                status
                if not result.ok
                else f"{trial}: {self.objective}="
                f"{metric_utility(self.objective, float(result.objective)):.4f}"
            )
            more = self.total is None or self.finished < self.total
            left = f", {self._left()}" if self._left() and more else ""
            logger.info(
                "%s (%s, %.0f s); best %s%s", value, self._count(), seconds, self.best, left
            )

    def note(self, line: str) -> None:
        """Print ``line`` above the display (something the user should know, once)."""
        self.progress.console.print(line, markup=False, highlight=False)

    def retrain(self, name: str, monitor: str) -> RetrainProgress:
        """A line for the retrain of ``name`` and the Lightning callback that updates it
        (pass it to :func:`lgnas.training.fit`); ``monitor`` is the validation metric logged
        (``val/ndcg@20``)."""
        task = self.progress.add_task(name, total=None, count="starting", left="", info="")
        return RetrainProgress(self.progress, task, name, monitor, plain=self.plain)

    def reused(self, name: str, summary: dict[str, Any]) -> None:
        """A line for a finalist whose saved result is reused (a resumed search)."""
        self.ready(name, summary, "saved result reused")

    def ready(self, name: str, summary: dict[str, Any], info: str) -> None:
        """A line for a finalist whose result is complete without a training here (``info``
        says how: reused, or built from other finalists' saved results)."""
        epochs = summary.get("epochs")
        self.progress.add_task(
            name,
            total=1,
            completed=1,
            count=f"epoch {epochs}" if epochs is not None else "",
            left="",
            info=info,
        )
        if self.plain:
            logger.info("retrain %s: %s", name, info)

    def _show_trial(self, current: str) -> None:
        self.progress.update(self.task, info=f"best {self.best} {current}".rstrip())

    def _count(self) -> str:
        return f"{self.finished}/{self.total} trials" if self.total else f"{self.finished} trials"

    def _left(self) -> str:
        """Trial time left: the mean trial's seconds times the trials left, at most what the
        seconds budget has left; empty when neither bounds it."""
        bounds = []
        if self.total is not None and self.finished:
            left = max(self.total - self.finished, 0)
            bounds.append(self.trial_seconds / self.finished * left)
        if self.budget_seconds is not None:
            bounds.append(max(self.budget_seconds - self.trial_seconds, 0.0))
        return f"~{_clock(min(bounds))} left" if bounds else ""


def _trial(candidate: Candidate, fields: dict[str, Any] | None) -> str:
    """``trial 9``, with its stage where the strategy records one: ``trial 9 (stage 2,
    layer 2 of trial 8)``."""
    fields = fields or {}
    if fields.get("stage") is None:
        return f"trial {candidate.id}"
    where = f"stage {fields['stage']}"
    if fields.get("layer") is not None:
        where += f", layer {fields['layer']} of trial {fields.get('parent')}"
    return f"trial {candidate.id} ({where})"


class RetrainProgress(L.Callback):
    """Shows one training's epoch, best validation score so far, and time left at most.

    It only reads the trainer's state, so a training with it computes exactly what one
    without it does. What is left is bounded by the epoch cap (the mean epoch's time times
    the epochs to the cap) and by the time limit, if any: early stopping may end sooner.
    """

    def __init__(
        self, progress: Progress, task: Any, name: str, monitor: str, plain: bool = False
    ) -> None:
        self.progress, self.task, self.name, self.monitor = progress, task, name, monitor
        self.plain = plain  # also log the line when it closes (no live display)
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.started = time.perf_counter()
        self.start_epoch = 0

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = time.perf_counter()
        self.start_epoch = trainer.current_epoch
        self._show(trainer, epoch=trainer.current_epoch)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is not None and (
            self.best is None or metric_better(self.monitor, float(value), self.best)
        ):
            self.best, self.best_epoch = float(value), trainer.current_epoch

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._show(trainer, epoch=trainer.current_epoch + 1)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._show(trainer, epoch=trainer.current_epoch, done=True)

    def done(self, epochs: int | None, why: str) -> None:
        """Close the line with the epochs trained and why training ended (or that it failed);
        also for a fit whose epochs this callback did not see (``trainer.devices=N``)."""
        fields: dict[str, Any] = {"left": "", "info": f"{self._best()}, {why}"}
        if epochs is not None:
            fields.update(completed=epochs, count=f"epoch {epochs}")
        self.progress.update(self.task, **fields)
        if self.plain:
            trained = f"{epochs} epochs, " if epochs is not None else ""
            logger.info("retrain %s: %s%s, %s", self.name, trained, self._best(), why)

    def _show(self, trainer: L.Trainer, epoch: int, done: bool = False) -> None:
        cap = (
            trainer.max_epochs
            if trainer.max_epochs is not None and trainer.max_epochs >= 0
            else None
        )
        elapsed = time.perf_counter() - self.started
        trained = epoch - self.start_epoch
        left = ""
        if not done:
            bounds = []
            if cap is not None and trained > 0:
                bounds.append(elapsed / trained * max(cap - epoch, 0))
            remaining = _time_remaining(trainer)
            if remaining is not None:
                bounds.append(max(remaining, 0.0))
            left = f"≤{_clock(min(bounds))} left" if bounds else ""
        self.progress.update(
            self.task,
            total=cap,
            completed=epoch,
            count=f"epoch {epoch}/{cap}" if cap is not None else f"epoch {epoch}",
            left=left,
            info=self._best(),
        )

    def _best(self) -> str:
        metric = self.monitor.removeprefix("val/")
        if self.best is None or self.best_epoch is None:
            return f"best val {metric} -"
        return f"best val {metric} {self.best:.4f} (epoch {self.best_epoch + 1})"


def _time_remaining(trainer: L.Trainer) -> float | None:
    """Training seconds the trainer's time limit (Lightning's Timer) has left, if it has one."""
    for callback in trainer.callbacks:
        if isinstance(callback, Timer):
            return callback.time_remaining("train")
    return None


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
