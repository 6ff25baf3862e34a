"""What a cell layer costs: training-epoch time of a 2-layer cell model next to LightGCN-2.

    python scripts/bench_cells.py --dataset ml100k --rounds 7 --threads 1

Three models train on the same batches (BPR, batch 2048, one negative, Adam lr 1e-3, dim 64):
``lightgcn-2`` (the preset with two layers), ``cells-2`` (two layers, each the cell
``lightgcn(x), gcn(x), lightgcn(node 1)`` merged by mean: three ops, two sparse products,
since the first two nodes share ``Â @ x``) and ``cells-2-unshared``, the same cell with each
node computing its own product. Epochs are interleaved, round by round in rotating order, so a
load change on a shared machine hits every model alike; the table gives each model's median
epoch and its ratio to LightGCN-2's, and the spread (min-max) says how noisy the machine was.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Iterator

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.data.datamodule import RecDataModule
from lgnas.models import Architecture, GNNRecommender, RecommenderModule, preset
from lgnas.models.layers import Propagation

CELL = {
    "num_layers": 2,
    "cell_nodes": 3,
    "op": "lightgcn",
    "op2": "gcn",
    "input2": 0,
    "op3": "lightgcn",
    "input3": 1,
    "cell_merge": "mean",
}
MODELS = {
    "lightgcn-2": (preset("lightgcn", num_layers=2), True),
    "cells-2": (Architecture.from_dict(CELL), True),
    "cells-2-unshared": (Architecture.from_dict(CELL), False),
}


@contextlib.contextmanager
def sharing(enabled: bool) -> Iterator[None]:
    """Products shared between a cell's nodes (the default), or one product per node."""
    original = Propagation.shared
    if not enabled:
        Propagation.shared = lambda self: self  # type: ignore[method-assign]
    try:
        yield
    finally:
        Propagation.shared = original  # type: ignore[method-assign]


def epoch_seconds(module: RecommenderModule, data: RecDataModule, optimiser) -> float:
    """One training epoch over every training interaction, as the Lightning loop steps it."""
    module.train()
    start = time.perf_counter()
    for batch in data.train_batches:
        optimiser.zero_grad(set_to_none=True)
        module.training_step(batch, 0).backward()
        optimiser.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml100k")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("train", overrides=[f"dataset={args.dataset}"])
    dataset = OmegaConf.to_container(cfg, resolve=True)["dataset"]
    split = prepare_dataset(dataset, seed=args.seed)
    runs = {}
    for name, (arch, _) in MODELS.items():
        torch.manual_seed(args.seed)
        data = RecDataModule(split, batch_size=2048, seed=args.seed)
        module = RecommenderModule(GNNRecommender(arch, data.graph), lr=1e-3)
        runs[name] = (module, data, module.configure_optimizers())
    names = list(MODELS)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.rounds + 1):  # round 0 warms up and is not counted
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            with sharing(MODELS[name][1]):
                seconds = epoch_seconds(*runs[name])
            if round_:
                times[name].append(seconds)
    base = statistics.median(times["lightgcn-2"])
    print(f"{args.dataset}, {len(split.train)} training interactions, threads={args.threads}")
    print(f"{'model':<18}{'median s/epoch':>15}{'min-max':>16}{'vs lightgcn-2':>15}")
    for name in names:
        median = statistics.median(times[name])
        spread = f"{min(times[name]):.3f}-{max(times[name]):.3f}"
        print(f"{name:<18}{median:>15.3f}{spread:>16}{median / base:>14.2f}x")


if __name__ == "__main__":
    main()
