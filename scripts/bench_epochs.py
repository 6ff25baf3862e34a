"""Training-epoch time of several models on one dataset, interleaved (for the bench_* scripts).

Every model trains on the same batches (batch 2048, Adam lr 1e-3; BPR with one negative unless
``--loss`` and ``--negatives`` say otherwise). Epochs
run round by round in rotating order, so a load change on a shared machine hits every model
alike; round 0 warms up and is not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.data.datamodule import RecDataModule
from lgnas.models import Architecture, GNNRecommender, RecommenderModule

Mode = Callable[[], contextlib.AbstractContextManager[Any]]


def arguments(description: str) -> argparse.Namespace:
    """The scripts' shared options: --dataset, --rounds, --threads, --seed, --loss, --negatives."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dataset", default="ml100k")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loss", default="bpr")
    parser.add_argument("--negatives", type=int, default=1)
    return parser.parse_args()


def epoch_seconds(module: RecommenderModule, data: RecDataModule, optimiser) -> float:
    """One training epoch over every training interaction, as the Lightning loop steps it."""
    module.train()
    start = time.perf_counter()
    for batch in data.train_batches:
        optimiser.zero_grad(set_to_none=True)
        module.training_step(batch, 0).backward()
        optimiser.step()
    return time.perf_counter() - start


def interleaved_epochs(
    args: argparse.Namespace, models: Mapping[str, tuple[Architecture, Mode]]
) -> tuple[dict[str, list[float]], int]:
    """Each model's counted epoch times (each epoch run inside its mode), and the number of
    training interactions."""
    torch.set_num_threads(args.threads)
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("train", overrides=[f"dataset={args.dataset}"])
    split = prepare_dataset(OmegaConf.to_container(cfg, resolve=True)["dataset"], seed=args.seed)
    runs = {}
    for name, (arch, _) in models.items():
        torch.manual_seed(args.seed)
        data = RecDataModule(split, batch_size=2048, num_negatives=args.negatives, seed=args.seed)
        module = RecommenderModule(GNNRecommender(arch, data.graph), loss=args.loss, lr=1e-3)
        runs[name] = (module, data, module.configure_optimizers())
    names = list(models)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(args.rounds + 1):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            with models[name][1]():
                seconds = epoch_seconds(*runs[name])
            if round_:
                times[name].append(seconds)
    return times, len(split.train)


def print_table(
    args: argparse.Namespace,
    times: Mapping[str, list[float]],
    interactions: int,
    ratio: tuple[str, Callable[[str, float], float]],
) -> None:
    """Median and spread of each model's epochs, and ``ratio``'s column (a heading, and the
    ratio of a model's median epoch given its name and median)."""
    heading, of = ratio
    width = max(len(name) for name in times) + 2
    print(
        f"{args.dataset}, {interactions} training interactions, threads={args.threads}, "
        f"loss={args.loss}, negatives={args.negatives}"
    )
    print(f"{'model':<{width}}{'median s/epoch':>15}{'min-max':>16}  {heading:>13}")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        spread = f"{min(seconds):.3f}-{max(seconds):.3f}"
        print(f"{name:<{width}}{median:>15.3f}{spread:>16}{of(name, median):>14.2f}x")


def compare(
    description: str, models: Mapping[str, tuple[Architecture, Mode]], reference: str
) -> None:
    """Parse the options, time ``models`` and print each one's ratio to ``reference``'s median
    epoch (above 1: slower than the reference)."""
    args = arguments(description)
    times, interactions = interleaved_epochs(args, models)
    base = statistics.median(times[reference])
    print_table(args, times, interactions, (f"vs {reference}", lambda _, median: median / base))
