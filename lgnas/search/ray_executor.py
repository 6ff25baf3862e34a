"""Trials as Ray tasks: one per GPU on a multi-GPU box, or across a cluster, with no code change.

Ray (``pip install "lgnas[ray]"``) is imported only here and only when this executor starts.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lgnas.errors import ConfigError
from lgnas.search.executor import Evaluate, Finished, Job, Parent, TrialExecutor, evaluate_job
from lgnas.trials import Point, TrialResult


@dataclass(frozen=True)
class RaySettings:
    """Where and how trials run on Ray (the ``executor`` config group, ``executor=ray``).

    Attributes:
        address: ``None`` starts a local Ray sized by ``num_cpus`` / ``num_gpus``; ``auto`` joins
            the cluster ``ray start`` made on this machine; ``ray://host:port`` a remote one.
        num_cpus: CPUs of a local Ray (``None``: every core).
        num_gpus: GPUs of a local Ray (``None``: those Ray detects). Declaring more than exist
            is allowed: Ray then hands out ``CUDA_VISIBLE_DEVICES`` ids without checking.
        cpus_per_trial: CPUs each trial reserves; torch in the trial runs this many threads
            (at least 1; :attr:`threads_per_trial`, which replaces the search's ``threads``
            for trials), so trials on one machine never oversubscribe its cores.
        gpus_per_trial: GPUs each trial reserves; fractions share a GPU (0.5: two trials each).
        max_retries: Times a trial whose worker process died (or whose node was lost) is run
            again before it is recorded as failed. A Python exception is never retried.
        object_store_memory: Bytes of a local Ray's object store; Ray's default takes 30% of
            RAM, which a search (one dataset) never needs.
        log_to_driver: Forward the workers' stdout/stderr to this terminal.
    """

    address: str | None = None
    num_cpus: int | None = None
    num_gpus: float | None = None
    cpus_per_trial: float = 1.0
    gpus_per_trial: float = 0.0
    max_retries: int = 2
    object_store_memory: int | None = 1_000_000_000
    log_to_driver: bool = False

    def __post_init__(self) -> None:
        """Refuse values Ray would reject late (or hang on), naming the key."""
        numbers = {
            "num_cpus": (self.num_cpus, True),
            "num_gpus": (self.num_gpus, True),
            "cpus_per_trial": (self.cpus_per_trial, False),
            "gpus_per_trial": (self.gpus_per_trial, False),
            "max_retries": (self.max_retries, False),
            "object_store_memory": (self.object_store_memory, True),
        }
        for key, (value, nullable) in numbers.items():
            if value is None and nullable:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                kind = "a non-negative number" + (" or null" if nullable else "")
                raise ConfigError(f"executor.{key}={value!r} must be {kind}")
        if self.cpus_per_trial == 0 and self.gpus_per_trial == 0:
            raise ConfigError(
                "executor.cpus_per_trial=0 with executor.gpus_per_trial=0 would start every "
                "trial at once; reserve at least some CPU or GPU per trial"
            )
        if self.gpus_per_trial > 1 and self.gpus_per_trial != int(self.gpus_per_trial):
            raise ConfigError(
                f"executor.gpus_per_trial={self.gpus_per_trial} must be a fraction below 1 or a "
                "whole number of GPUs"
            )
        if self.address is not None and not (
            self.address == "auto" or self.address.startswith("ray://") or ":" in self.address
        ):
            raise ConfigError(
                f"executor.address={self.address!r} must be null (local Ray), 'auto' (the "
                "cluster of `ray start` on this machine) or 'ray://host:port'"
            )

    @property
    def threads_per_trial(self) -> int:
        """Torch intra-op threads of one trial: its reserved CPUs, at least one."""
        return max(1, int(self.cpus_per_trial))


def connect(settings: RaySettings) -> bool:
    """Join the cluster ``settings.address`` names, or start a local Ray; reuse one that runs.

    Returns:
        Whether this call started Ray (and so whoever called it should shut it down).

    Raises:
        ConfigError: No cluster answered at ``executor.address``.
    """
    import ray

    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no prompt, no phoning home
    quiet = {"log_to_driver": settings.log_to_driver, "logging_level": logging.WARNING}
    try:
        if settings.address is None:
            ray.init(
                num_cpus=settings.num_cpus,
                num_gpus=settings.num_gpus,
                object_store_memory=settings.object_store_memory,
                include_dashboard=False,
                **quiet,
            )
        else:
            ray.init(address=settings.address, **quiet)
    except ConnectionError as error:
        raise ConfigError(
            f"executor.address={settings.address!r}: no Ray cluster answered ({error}); start "
            "one with `ray start --head`, or leave executor.address null for a local Ray"
        ) from None
    return True


def _check_fits(settings: RaySettings) -> None:
    """A trial that asks more than the whole cluster has would wait forever: say so now."""
    import ray

    total = ray.cluster_resources()
    for key, resource in (("cpus_per_trial", "CPU"), ("gpus_per_trial", "GPU")):
        wanted = getattr(settings, key)
        if wanted > total.get(resource, 0.0):
            raise ConfigError(
                f"executor.{key}={wanted} but the Ray cluster has {total.get(resource, 0.0)} "
                f"{resource}s in all; lower it, or give Ray more (executor.num_"
                f"{resource.lower()}s for a local Ray)"
            )


def run_trial(
    evaluate: Evaluate, point: Point, fidelity: int | None, parent: Parent | None = None
) -> tuple[TrialResult, float]:
    """The body of one Ray task: the trial and its wall time.

    The trial's thread count is the evaluate function's own (the search gives trials
    ``threads_per_trial``), so nothing here overrides it. A ``parent``'s weights are read
    from the run directory, so a worker inherits them only where it shares that directory
    (else it trains from scratch, as with the warm start).
    """
    started = time.perf_counter()
    result = evaluate_job(evaluate, point, fidelity, parent)
    return result, time.perf_counter() - started


class RayExecutor(TrialExecutor):
    """Runs each trial as a Ray task reserving ``cpus_per_trial`` CPUs and ``gpus_per_trial`` GPUs.

    The evaluate function, with the dataset split it holds, is put in the object store once
    when the executor starts; every task gets it by reference. Results come back as tasks
    finish. A task whose worker dies is retried ``max_retries`` times by Ray, then becomes a
    failed trial, as does a Python exception; neither stops the search.
    """

    def __init__(self, settings: RaySettings | None = None) -> None:
        self.settings = settings or RaySettings()
        self._started_ray = False
        self._evaluate_ref: Any = None
        self._task: Any = None

    @property
    def starting(self) -> str:
        address = self.settings.address
        ray = f"joining the Ray cluster at {address}" if address else "starting a local Ray"
        return f"{ray}, then putting the data in its object store"

    def start(self, evaluate: Evaluate) -> None:
        import ray

        self._started_ray = connect(self.settings)
        _check_fits(self.settings)
        self._evaluate_ref = ray.put(evaluate)
        self._task = ray.remote(run_trial).options(
            num_cpus=self.settings.cpus_per_trial,
            num_gpus=self.settings.gpus_per_trial,
            max_retries=self.settings.max_retries,
            retry_exceptions=False,
        )

    def stop(self) -> None:
        import ray

        self._evaluate_ref = self._task = None
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False

    def run(self, jobs: Sequence[Job]) -> Iterator[Finished]:
        import ray

        if self._task is None:
            raise RuntimeError("RayExecutor.run called outside `with executor.serving(...)`")
        submitted = time.perf_counter()
        jobs_by_ref = {
            self._task.remote(self._evaluate_ref, job.point, job.fidelity, job.parent): job
            for job in jobs
        }
        pending = list(jobs_by_ref)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                for ref in ready:
                    yield self._collect(ref, jobs_by_ref[ref], time.perf_counter() - submitted)
        finally:  # the search was interrupted: do not leave its trials running
            for ref in pending:
                ray.cancel(ref, force=True)

    def _collect(self, ref: Any, job: Job, elapsed: float) -> Finished:
        """The finished task's result, or the failed trial that stands for it."""
        import ray
        from ray.exceptions import RayError, RayTaskError

        try:
            result, wall = ray.get(ref)
        except RayTaskError as error:  # the evaluate function raised
            cause = error.cause if error.cause is not None else error
            message = f"{type(cause).__name__}: {cause}".strip().splitlines()[0]
            return Finished(job.tag, _failure(message, elapsed, job), elapsed)
        except RayError as error:  # the worker or its node died, and retries ran out
            retries = self.settings.max_retries
            message = f"{type(error).__name__} after {retries} retries: {error}"
            return Finished(job.tag, _failure(message.splitlines()[0], elapsed, job), elapsed)
        return Finished(job.tag, result, wall)


def _failure(message: str, elapsed: float, job: Job) -> TrialResult:
    # The time is an upper bound (since the batch was submitted); failed time counts too.
    return TrialResult.failure(message, cost={"seconds": elapsed}, fidelity=job.fidelity)
