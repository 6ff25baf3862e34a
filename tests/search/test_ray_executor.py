"""The real Ray executor on a local Ray with 2 CPUs and 2 declared (fake) GPUs.

One Ray session serves the whole module. The evaluate functions below are test doubles that
run inside Ray workers (shipped there by value); the executor, Ray and the search loop are real.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import ray

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.executor import (
    Job,
    Parent,
    SerialExecutor,
    executor_settings,
    make_executor,
)
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, run_search
from lgnas.search.ray_executor import RayExecutor, RaySettings, connect
from lgnas.space import load_space
from lgnas.strategies.registry import make_strategy
from lgnas.trials import TrialResult

SPACE = load_space("tiny")


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    """A local Ray of 2 CPUs and 2 GPUs that do not exist: Ray only hands out their ids."""
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    assert connect(RaySettings(num_cpus=2, num_gpus=2, object_store_memory=200_000_000))
    yield
    ray.shutdown()


def score(point: dict) -> float:
    return point["num_layers"] * 0.1 + (point["dim"] == 64) * 0.05 + point["lr"]


class Rendezvous:
    """Each trial records itself, then waits for another trial to have started: a trial only
    succeeds if another ran at the same time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, point: dict, fidelity: int | None = None) -> TrialResult:
        record = {"cuda": os.environ.get("CUDA_VISIBLE_DEVICES"), "pid": os.getpid()}
        record["start"] = time.time()
        mine = self.folder / f"{SPACE.key(point)}.json"
        mine.write_text(json.dumps(record))
        deadline = time.monotonic() + 120
        while len(list(self.folder.glob("*.json"))) < 2:
            if time.monotonic() > deadline:
                return TrialResult.failure("no other trial ran alongside this one")
            time.sleep(0.05)
        mine.write_text(json.dumps({**record, "end": time.time()}))
        return TrialResult(objective=score(point), cost={"seconds": 1.0})


class Saboteur:
    """Kills its worker process on one point, raises on another, scores the rest; every call
    (attempt) is counted in a file per point."""

    def __init__(self, folder: Path, kill: str, raise_on: str) -> None:
        self.folder, self.kill, self.raise_on = folder, kill, raise_on

    def __call__(self, point: dict, fidelity: int | None = None) -> TrialResult:
        key = SPACE.key(point)
        with (self.folder / "attempts.txt").open("a") as attempts:
            attempts.write(key + "\n")
        if key == self.kill:
            os._exit(1)
        if key == self.raise_on:
            raise ValueError("this candidate is broken")
        return TrialResult(objective=score(point), cost={"seconds": 1.0})


def _search(tmp_path: Path, evaluate, executor, trials: int, batch_size: int, name="random"):
    journal = Journal(tmp_path / "journal.jsonl", {"strategy": name})
    strategy = make_strategy(name, SPACE, seed=0)
    budget = Budget(trials=trials)
    return run_search(strategy, SPACE, evaluate, journal, budget, batch_size, executor=executor)


def _journal_trials(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def test_a_generation_runs_concurrently_one_gpu_each(tmp_path: Path) -> None:
    first = make_strategy("random", SPACE, seed=0).ask(2)
    assert SPACE.key(first[0].point) != SPACE.key(first[1].point)  # two distinct trainings
    (tmp_path / "starts").mkdir()
    executor = RayExecutor(RaySettings(cpus_per_trial=1, gpus_per_trial=1))
    outcome = _search(tmp_path, Rendezvous(tmp_path / "starts"), executor, 2, batch_size=2)
    assert [r.error for _, r in outcome.trials] == [None, None]  # each waited for the other
    a, b = (json.loads(p.read_text()) for p in (tmp_path / "starts").glob("*.json"))
    assert a["start"] < b["end"] and b["start"] < a["end"]  # overlapping lifetimes
    assert {a["cuda"], b["cuda"]} == {"0", "1"}  # each its own (declared) GPU
    assert a["pid"] != b["pid"]


def test_a_dead_worker_is_retried_then_failed_and_the_search_goes_on(tmp_path: Path) -> None:
    generation = make_strategy("random", SPACE, seed=0).ask(3)
    kill, raise_on = (SPACE.key(c.point) for c in generation[1:3])
    evaluate = Saboteur(tmp_path, kill=kill, raise_on=raise_on)
    executor = make_executor(
        executor_settings({"name": "ray", "cpus_per_trial": 1, "max_retries": 1})
    )
    outcome = _search(tmp_path, evaluate, executor, trials=6, batch_size=3)

    attempts = (tmp_path / "attempts.txt").read_text().splitlines()
    assert attempts.count(kill) == 2  # the first run and one retry
    assert attempts.count(raise_on) == 1  # an exception is a result, not retried
    by_key = dict(zip(outcome.keys, (r for _, r in outcome.trials)))
    assert "WorkerCrashedError" in by_key[kill].error
    assert by_key[raise_on].error == "ValueError: this candidate is broken"
    journal = _journal_trials(tmp_path / "journal.jsonl")
    assert sorted(r["id"] for r in journal) == list(range(6))  # every trial journaled
    others = [r for r in journal if r["key"] not in (kill, raise_on)]
    assert others and all(r["status"] == "ok" for r in others)
    assert all(attempts.count(r["key"]) == 1 for r in others)  # none re-run


SMALL_SEARCH = (
    "+strategy=genetic",
    "dataset=synthetic",
    "dataset.options.num_users=200",
    "dataset.options.num_items=300",
    "dataset.options.num_interactions=4000",
)


@pytest.fixture(scope="module")
def small_search_cfg(search_job):
    job = search_job(*SMALL_SEARCH)
    return job, prepare_dataset(job.dataset, seed=0)


def test_ray_finds_the_same_trials_as_serial_for_the_same_seed(
    tmp_path: Path, small_search_cfg
) -> None:
    job, split = small_search_cfg
    evaluate = TrialEvaluator(job.optim, job.train, split, "ndcg@20")
    runs = {}
    for name, executor in {
        "serial": SerialExecutor(),
        "ray": RayExecutor(RaySettings(cpus_per_trial=1, gpus_per_trial=1)),
    }.items():
        journal = Journal(tmp_path / name / "journal.jsonl", {"seed": 0})
        strategy = make_strategy("genetic", SPACE, seed=0, population_size=4)
        runs[name] = run_search(
            strategy,
            SPACE,
            evaluate,
            journal,
            Budget(trials=6),
            batch_size=2,
            fidelity=1,
            executor=executor,
        )
    serial, parallel = (
        [(c.point, r.objective, r.metrics) for c, r in runs[k].trials] for k in ("serial", "ray")
    )
    assert all(r.ok for _, r in runs["ray"].trials)
    assert parallel == serial


def test_a_staged_search_on_ray_inherits_and_finds_what_serial_does(
    tmp_path: Path, small_search_cfg
) -> None:
    """Stage-2 candidates on Ray workers start from their parents' weights, read from the
    run directory, exactly as in one process: the same trials, scores and tensors copied."""
    job, split = small_search_cfg
    space = load_space("cells")
    runs = {}
    for name, executor in {
        "serial": SerialExecutor(),
        "ray": RayExecutor(RaySettings(cpus_per_trial=1, gpus_per_trial=1)),
    }.items():
        weights = tmp_path / name / "checkpoints"
        evaluate = TrialEvaluator(job.optim, job.train, split, "ndcg@20", weights_dir=weights)
        journal = Journal(tmp_path / name / "journal.jsonl", {"seed": 0})
        strategy = make_strategy("staged", space, seed=0, trials=6, keep=1, stage1_share=0.5)
        runs[name] = run_search(
            strategy, space, evaluate, journal, Budget(trials=6), batch_size=1, fidelity=1,
            executor=executor,
        )  # fmt: skip
    serial, parallel = (
        [(c.point, r.objective, r.cost.get("inherited")) for c, r in runs[k].trials]
        for k in ("serial", "ray")
    )
    assert all(r.ok for _, r in runs["ray"].trials)
    assert parallel == serial
    assert sum(1 for _, _, inherited in serial if inherited) >= 2  # stage 2 inherited


def parent_epochs(point: dict, fidelity: int | None, parent: Parent | None = None) -> TrialResult:
    """Scores the fidelity of the parent it was handed (0: none)."""
    return TrialResult(objective=float(parent.fidelity if parent else 0), fidelity=fidelity)


def test_ray_hands_each_trial_its_parent_like_the_serial_executor() -> None:
    rng = np.random.default_rng(0)
    point, other = SPACE.sample(rng), SPACE.sample(rng)
    jobs = [Job(0, point, 2, Parent(other, 3)), Job(1, other, 2)]
    for executor in (SerialExecutor(), make_executor(executor_settings({"name": "ray"}))):
        with executor.serving(parent_epochs) as running:
            scores = {f.tag: f.result.objective for f in running.run(jobs)}
        assert scores == {0: 3.0, 1: 0.0}


def test_unmeetable_requests_and_bad_options_are_clear_errors() -> None:
    executor = RayExecutor(RaySettings(gpus_per_trial=3))
    with pytest.raises(ConfigError, match=r"executor.gpus_per_trial=3 .* 2.0 GPUs"):
        executor.start(score)
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) executor.gpus"):
        executor_settings({"name": "ray", "gpus": 1})
    with pytest.raises(ConfigError, match="executor.gpus_per_trial=1.5"):
        RaySettings(gpus_per_trial=1.5)
    with pytest.raises(ConfigError, match="executor=serial or executor=ray"):
        executor_settings({"name": "dask"})


def test_the_executor_config_group_picks_and_sizes_the_executor(search_job) -> None:
    default = search_job("+strategy=random")
    on_ray = search_job(
        "+strategy=random", "executor=ray", "threads=3", "executor.gpus_per_trial=0.5"
    )
    assert isinstance(make_executor(default.executor), SerialExecutor)
    assert default.trial_settings == default.train  # serial trials: the search's threads
    executor = make_executor(on_ray.executor)
    assert isinstance(executor, RayExecutor)
    assert executor.settings.cpus_per_trial == 3 == on_ray.trial_settings.threads
    assert executor.settings.gpus_per_trial == 0.5


class ThreadsInTrial:
    """A real trial that also reports the torch threads it trained with (read in the worker)."""

    def __init__(self, evaluate: TrialEvaluator) -> None:
        self.evaluate = evaluate

    def __call__(self, point, fidelity):
        import dataclasses

        import torch

        result = self.evaluate(point, fidelity)
        return dataclasses.replace(result, cost={**result.cost, "threads": torch.get_num_threads()})


def test_a_trial_on_ray_runs_the_threads_its_cpus_reserve(search_job, small_search_cfg) -> None:
    # threads=1 for the search, 2 CPUs reserved per trial: the trial must train with 2 threads
    # (the executor's reservation owns a trial's thread count), not the search's 1.
    job = search_job(*SMALL_SEARCH, "executor=ray", "executor.cpus_per_trial=2", "threads=1")
    split = small_search_cfg[1]
    evaluate = ThreadsInTrial(TrialEvaluator(job.optim, job.trial_settings, split, "ndcg@20"))
    executor = make_executor(job.executor)
    point = make_strategy("random", SPACE, seed=0).ask(1)[0].point
    with executor.serving(evaluate) as running:
        (finished,) = running.run([Job(0, point, 1)])
    assert finished.result.ok, finished.result.error
    assert finished.result.cost["threads"] == 2
