"""Where trials run: the seam between the search loop and serial or distributed execution.

The loop decides *what* to evaluate (after journal and duplicate lookups) and in which order the
strategy hears the results; an executor decides *where* each trial runs and hands results back
as they complete, so the loop can journal each one at once.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from lgnas.errors import ConfigError
from lgnas.settings import from_mapping
from lgnas.trials import Point, TrialResult

Evaluate = Callable[..., TrialResult]
"""``evaluate(point, fidelity)``, or ``evaluate(point, fidelity, parent=...)`` for a job with
a :class:`Parent` (:func:`evaluate_job`)."""


@dataclass(frozen=True)
class Parent:
    """A trained trial a job starts from: its point and fidelity name its saved weights."""

    point: Point
    fidelity: int | None


@dataclass(frozen=True)
class Job:
    """One trial to run: ``tag`` lets the caller match the result to its candidates;
    ``parent``, the trial whose weights it inherits (``None``: from scratch)."""

    tag: int
    point: Point
    fidelity: int | None
    parent: Parent | None = None


def evaluate_job(
    evaluate: Evaluate, point: Point, fidelity: int | None, parent: Parent | None = None
) -> TrialResult:
    """``evaluate``'s result for one job; ``parent`` is passed only when there is one, so an
    evaluate function without inheritance takes just ``(point, fidelity)``."""
    if parent is None:
        return evaluate(point, fidelity)
    return evaluate(point, fidelity, parent=parent)


@dataclass(frozen=True)
class Finished:
    """A finished job: its tag, its result and the wall time it took where it ran."""

    tag: int
    result: TrialResult
    wall_seconds: float


class TrialExecutor(ABC):
    """Runs batches of trials with one evaluate function, shipped to the workers once.

    Use as ``with executor.serving(evaluate): executor.run(jobs)``; ``run`` yields each job's
    :class:`Finished` as soon as it completes, in any order. Evaluate functions turn a bad
    candidate into a failed :class:`TrialResult` themselves (as ``TrialEvaluator`` does); a
    remote executor also reports as failed a trial that it could not bring back (its worker
    died, its node was lost, it raised there), and raises only when it cannot go on.
    """

    starting = ""
    """What :meth:`start` waits on, for the progress display (empty: nothing worth saying)."""

    def start(self, evaluate: Evaluate) -> None:  # noqa: B027 - optional hook
        """Make ``evaluate`` (and the data it holds) available where trials run."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Release whatever :meth:`start` acquired (also after a failed start)."""

    @abstractmethod
    def run(self, jobs: Sequence[Job]) -> Iterator[Finished]:
        """Run ``jobs``; yield each one's result as it completes."""

    @contextmanager
    def serving(self, evaluate: Evaluate) -> Iterator[TrialExecutor]:
        """A context in which :meth:`run` evaluates with ``evaluate``; stopped on leaving."""
        try:
            self.start(evaluate)  # inside: a start that fails half-way is cleaned up too
            yield self
        finally:
            self.stop()


class SerialExecutor(TrialExecutor):
    """Every trial in this process, one after another: the default, with no dependency."""

    def __init__(self) -> None:
        self._evaluate: Evaluate | None = None

    def start(self, evaluate: Evaluate) -> None:
        self._evaluate = evaluate

    def stop(self) -> None:
        self._evaluate = None

    def run(self, jobs: Sequence[Job]) -> Iterator[Finished]:
        if self._evaluate is None:
            raise RuntimeError("SerialExecutor.run called outside `with executor.serving(...)`")
        for job in jobs:
            started = time.perf_counter()
            result = evaluate_job(self._evaluate, job.point, job.fidelity, job.parent)
            yield Finished(job.tag, result, time.perf_counter() - started)


@dataclass(frozen=True)
class SerialSettings:
    """``executor=serial``: no options; trials train with the search's own ``threads``."""

    @property
    def threads_per_trial(self) -> int | None:
        """Torch threads of each trial; ``None``: the search's ``threads``."""
        return None


if TYPE_CHECKING:
    from lgnas.search.ray_executor import RaySettings

ExecutorSettings = Union["SerialSettings", "RaySettings"]


def executor_settings(options: Mapping[str, Any] | None) -> ExecutorSettings:
    """The typed ``executor`` group: ``{name: serial}`` or ``{name: ray, ...}``.

    Raises:
        ConfigError: The name is unknown or an option does not belong to that executor.
    """
    options = dict(options or {"name": "serial"})
    name = options.pop("name", "serial")
    if name == "serial":
        if options:
            raise ConfigError(f"executor=serial takes no options, got {sorted(options)}")
        return SerialSettings()
    if name == "ray":
        from lgnas.search.ray_executor import RaySettings  # ray itself is imported on start

        return from_mapping(RaySettings, options, "executor")
    raise ConfigError(f"executor.name={name!r} is unknown; choose executor=serial or executor=ray")


def make_executor(settings: ExecutorSettings) -> TrialExecutor:
    """The executor the settings describe."""
    if isinstance(settings, SerialSettings):
        return SerialExecutor()
    from lgnas.search.ray_executor import RayExecutor

    return RayExecutor(settings)
