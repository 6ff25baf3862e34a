"""Build time and memory of a large synthetic graph, stage by stage, up to training steps.

    python scripts/bench_synthetic.py --users 500000 --items 200000 --interactions 10000000 \
        --against 5fceeed

Runs the stages ``prepare_dataset`` and ``fit`` run, timed apart: generate, dedup, compaction,
split (the data), then graph (CSR adjacency and its transpose), data module (BPR sampler and
evaluation index) and model (LightGCN-3 and its Lightning module), then ``--steps`` training
steps (forward, loss, backward, Adam), from which an epoch at ``--batch-size`` is
extrapolated. Prints wall and CPU seconds per stage and the peak RSS after it
(``resource.getrusage``; it never goes down): on a shared, loaded machine CPU seconds are the
steadier figure. One torch thread. ``--against REV`` first runs the same stages with lgnas as
it was at git revision ``REV`` (exported to a temporary folder), then with the lgnas on the
path, and prints both with the ratio of CPU seconds.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA_STAGES = ("generate", "dedup", "compaction", "split")
MODEL_STAGES = ("graph", "datamodule", "model")


def _peak_gib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _stage(name: str, run: Callable[[], Any], record: dict[str, dict[str, float]]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    record[name] = {
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak_gib": _peak_gib(),
    }
    return result


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every stage's seconds and peak memory, with the lgnas importable here."""
    import torch

    torch.set_num_threads(1)
    from lgnas.data.datamodule import RecDataModule
    from lgnas.data.preprocess import compact, dedup_rows
    from lgnas.data.splits import split_random
    from lgnas.data.synthetic import generate_synthetic
    from lgnas.graph import BipartiteGraph
    from lgnas.models import GNNRecommender, RecommenderModule, preset

    stages: dict[str, dict[str, float]] = {}
    size = (args.users, args.items, args.interactions)
    data = _stage("generate", lambda: generate_synthetic(*size, seed=args.seed), stages)
    data = _stage("dedup", lambda: data.subset(dedup_rows(data)), stages)
    data = _stage("compaction", lambda: compact(data), stages)
    split = _stage("split", lambda: split_random(data, seed=args.seed), stages)
    train = split.train

    def graph() -> BipartiteGraph:
        built = BipartiteGraph(train.user, train.item, train.num_users, train.num_items)
        built.adjacency("symmetric")
        return built

    built = _stage("graph", graph, stages)
    datamodule = _stage(
        "datamodule", lambda: RecDataModule(split, args.batch_size, seed=args.seed), stages
    )
    datamodule.graph = built  # fit builds the graph once, inside the data module
    model = _stage(
        "model", lambda: RecommenderModule(GNNRecommender(preset("lightgcn"), built)), stages
    )
    sizes = {
        "edges": len(data),
        "train": len(train),
        "users": data.num_users,
        "items": data.num_items,
    }
    return {"sizes": sizes, "stages": stages, **_train_steps(model, datamodule, args.steps)}


def _train_steps(module: Any, datamodule: Any, steps: int) -> dict[str, Any]:
    """Time ``steps`` optimiser steps on the batches fit would draw; extrapolate an epoch."""
    if not steps:
        return {"steps": {}}
    import torch

    optimizer = torch.optim.Adam(module.model.parameters(), lr=1e-3)
    timed: dict[str, dict[str, float]] = {}
    batches = iter(datamodule.train_batches)
    # The first batch shuffles the epoch and draws all its negatives.
    _stage("1st batch", lambda: next(batches), timed)

    def step(batch: tuple[Any, ...], index: int) -> None:
        optimizer.zero_grad()
        module.training_step(batch, index).backward()
        optimizer.step()

    for index in range(steps):
        _stage(f"step {index + 1}", functools.partial(step, next(batches), index), timed)
    per_step = sum(timed[f"step {i + 1}"]["wall"] for i in range(steps)) / steps
    return {"steps": timed, "epoch_steps": len(datamodule.train_batches), "step_wall": per_step}


def _exported(revision: str, into: Path) -> Path:
    """``lgnas/`` as it was at ``revision``, in a folder of its own."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "lgnas"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _run_with(path: str, argv: list[str]) -> dict[str, Any]:
    """This script's measurement in a fresh process importing lgnas from ``path``."""
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, __file__, *argv, "--json"], env=env, check=True, capture_output=True
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def _print(runs: dict[str, dict[str, Any]]) -> None:
    names = list(runs)
    last = runs[names[-1]]
    print(
        f"synthetic: {last['sizes']['edges']} edges ({last['sizes']['train']} train), "
        f"{last['sizes']['users']} users, {last['sizes']['items']} items; one torch thread"
    )
    header = "".join(f" | {n + ' wall s':>16} {'cpu s':>8} {'peak GiB':>8}" for n in names)
    print(f"{'stage':<12}{header}" + (" | cpu ratio" if len(names) == 2 else ""))
    rows = [*DATA_STAGES, "= data", *MODEL_STAGES, "= model", *last["steps"]]
    for row in rows:
        cells, cpus = "", []
        for name in names:
            figures = _row(runs[name], row)
            cpus.append(figures["cpu"])
            cells += f" | {figures['wall']:16.2f} {figures['cpu']:8.2f} {figures['peak_gib']:8.2f}"
        ratio = f" | {cpus[0] / cpus[1]:8.1f}x" if len(names) == 2 and cpus[1] > 0 else ""
        print(f"{row:<12}{cells}{ratio}")
    for name in names:
        run = runs[name]
        if run["steps"]:
            epoch = run["step_wall"] * run["epoch_steps"]
            print(f"{name}: epoch ≈ {epoch:.0f} s wall ({run['epoch_steps']} steps)")


def _row(run: dict[str, Any], row: str) -> dict[str, float]:
    """One stage's figures, or a group's sum (``= data``: generate to split)."""
    stages = {**run["stages"], **run["steps"]}
    if not row.startswith("="):
        return stages[row]
    group = DATA_STAGES if row == "= data" else MODEL_STAGES
    return {
        "wall": sum(stages[s]["wall"] for s in group),
        "cpu": sum(stages[s]["cpu"] for s in group),
        "peak_gib": max(stages[s]["peak_gib"] for s in group),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=500_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=2, help="training steps timed (0: none)")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--against", metavar="REV", help="also measure lgnas at git REV, first")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args)))
        return
    if args.against is None:
        _print({"now": measure(args)})
        return
    argv = [
        f"--{key.replace('_', '-')}={value}"
        for key, value in vars(args).items()
        if key not in ("against", "json")
    ]
    with tempfile.TemporaryDirectory() as folder:
        before = _run_with(str(_exported(args.against, Path(folder))), argv)
    now = _run_with(os.environ.get("PYTHONPATH", str(REPO)), argv)
    _print({args.against: before, "now": now})


if __name__ == "__main__":
    main()
