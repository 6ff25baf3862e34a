"""Speed-up of the Ray executor over the serial one for one fixed search, measured in one run.

    python scripts/bench_ray_executor.py --workers 2 --trials 8 --fidelity 5

The same search (random strategy, ``tiny`` space, ``--trials`` trials at ``--fidelity`` epochs
on ml-100k, one torch thread per trial, no time limits, so every trial is reproducible) runs
once with ``executor=serial`` and once on a local Ray with ``--workers`` CPUs, one per trial,
the whole budget asked as one generation. Both are timed from the first ask to the last tell,
with warm processes: the serial search runs in this process, which has imported torch and
lgnas already, and Ray's workers are warmed by one untimed 1-epoch trial each. Ray's start-up
(``ray.init``, worker start, imports) is timed apart and also given added to the search. The
two searches must find identical trials, which the script checks. Prints a table and a ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data import prepare_dataset
from lgnas.models.optim import Optim
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.executor import SerialExecutor, TrialExecutor
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, SearchOutcome, run_search
from lgnas.search.ray_executor import RayExecutor, RaySettings, connect
from lgnas.space import load_space
from lgnas.strategies.registry import make_strategy
from lgnas.training import TrainSettings


def timed_search(evaluate, executor: TrialExecutor, trials: int, fidelity: int, folder: Path):
    space = load_space("tiny")
    journal = Journal(folder / "journal.jsonl", {"bench": "ray"})
    strategy = make_strategy("random", space, seed=0)
    started = time.perf_counter()
    outcome = run_search(
        strategy,
        space,
        evaluate,
        journal,
        Budget(trials=trials),
        batch_size=trials,
        fidelity=fidelity,
        executor=executor,
    )
    return outcome, time.perf_counter() - started


def signature(outcome: SearchOutcome) -> list:
    return [(c.point, r.objective) for c, r in outcome.trials]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="Ray CPUs = concurrent trials")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--fidelity", type=int, default=5, help="epochs per trial")
    parser.add_argument("--dataset", default="ml100k")
    args = parser.parse_args()

    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("config", overrides=[f"dataset={args.dataset}", "threads=1"])
    config = OmegaConf.to_container(cfg, resolve=True)
    train = TrainSettings.from_config(
        seed=config["seed"],
        threads=config["threads"],
        eval=config["eval"],
        trainer=config["trainer"],
    )
    split = prepare_dataset(config["dataset"], seed=0)
    objective = config["search"]["objective"]
    # threads=1 is also RaySettings(cpus_per_trial=1).threads_per_trial: one evaluator serves both
    evaluate = TrialEvaluator(Optim.from_dict(config["optim"]), train, split, objective)
    with tempfile.TemporaryDirectory() as folder:
        serial, serial_s = timed_search(
            evaluate, SerialExecutor(), args.trials, args.fidelity, Path(folder) / "serial"
        )
        started = time.perf_counter()
        ray = RaySettings(num_cpus=args.workers, cpus_per_trial=1)
        connect(ray)  # started here, so its start-up is timed apart from the search
        warm = Path(folder) / "warm-up"
        timed_search(evaluate, RayExecutor(ray), args.workers, 1, warm)
        startup_s = time.perf_counter() - started
        ray_run, ray_s = timed_search(
            evaluate, RayExecutor(ray), args.trials, args.fidelity, Path(folder) / "ray"
        )
    if signature(ray_run) != signature(serial):
        raise SystemExit("the Ray search found other trials than the serial one")
    print(
        f"{args.trials} trials x {args.fidelity} epochs on {args.dataset}, threads=1 per trial;"
        f" Ray start-up and warm-up {startup_s:.1f} s"
    )
    print("| executor | search s | x serial |")
    print("|---|---|---|")
    print(f"| serial | {serial_s:.1f} | 1.00 |")
    print(f"| ray, {args.workers} workers | {ray_s:.1f} | {serial_s / ray_s:.2f} |")
    total = ray_s + startup_s
    print(
        f"| ray, {args.workers} workers, Ray start-up included | {total:.1f} | "
        f"{serial_s / total:.2f} |"
    )


if __name__ == "__main__":
    main()
