"""Evaluate every architecture of a small search space once and store the table.

    python scripts/build_tabular_benchmark.py --space tiny --fidelity 5 \
        --out benchmarks/tiny-ml100k.jsonl

Each point is trained like a search trial (train split, ``--fidelity`` epochs, validation
NDCG@20). Rows are appended as they finish, so an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data import prepare_dataset
from lgnas.models.optim import Optim
from lgnas.search.evaluator import TrialEvaluator
from lgnas.space import SearchSpace
from lgnas.training import TrainSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", default="tiny")
    parser.add_argument("--dataset", default="ml100k")
    parser.add_argument("--fidelity", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/tiny-ml100k.jsonl"))
    args = parser.parse_args()

    overrides = [
        f"search_space={args.space}",
        f"dataset={args.dataset}",
        f"seed={args.seed}",
        f"threads={args.threads}",
        "eval.metrics=[recall,ndcg]",
        "eval.ks=[20]",
    ]
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("config", overrides=overrides)
    config = OmegaConf.to_container(cfg, resolve=True)
    space = SearchSpace.from_dict(config["search_space"])
    train = TrainSettings.from_config(
        seed=config["seed"],
        threads=config["threads"],
        eval=config["eval"],
        trainer=config["trainer"],
    )
    split = prepare_dataset(config["dataset"], seed=args.seed)
    evaluate = TrialEvaluator(Optim.from_dict(config["optim"]), train, split, "ndcg@20")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if args.out.exists():
        done = {json.loads(line)["key"] for line in args.out.read_text().splitlines() if line}
    points = list(space.enumerate())
    start = time.perf_counter()
    with args.out.open("a", encoding="utf-8") as handle:
        for number, point in enumerate(points, 1):
            key = space.key(point)
            if key in done:
                continue
            result = evaluate(point, args.fidelity)
            row = {"key": key, "point": point, **asdict(result)}
            handle.write(json.dumps(row, sort_keys=True) + "\n")
            handle.flush()
            print(
                f"[{number}/{len(points)}] {result.objective} {key} "
                f"({time.perf_counter() - start:.0f}s)",
                file=sys.stderr,
                flush=True,
            )


if __name__ == "__main__":
    main()
