"""What GAT layers cost: lgnas's CSR attention against PyG's per-edge messages (same layer).

    python scripts/bench_gat.py --dataset ml100k --rounds 5 --threads 1

A 2-layer GAT recommender (2 heads, dim 128, as the default space draws it) trains on the
same batches (BPR, batch 2048, one negative, Adam lr 1e-3) twice: with lgnas's aggregation
(``lgnas.graph.attention``: one score per edge and head, CSR products forward and backward)
and with PyG's ``GATConv`` message passing over the edge list, the same parameters; LightGCN-2
at dim 128 is the yardstick. Epochs are interleaved, round by round in rotating order, so a
load change on a shared machine hits every model alike; the table gives each one's median
epoch and its ratio to the PyG aggregation's.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
from collections.abc import Iterator

import torch
from bench_cells import epoch_seconds  # scripts/ is on the path when a script in it runs
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.data.datamodule import RecDataModule
from lgnas.models import Architecture, GNNRecommender, RecommenderModule, preset
from lgnas.models.layers import GATConv

GAT = Architecture.from_dict({"num_layers": 2, "op": ["gat", "gat"], "heads": 2, "dim": 128})
MODELS = {
    "gat-2 (lgnas CSR)": (GAT, False),
    "gat-2 (PyG messages)": (GAT, True),
    "lightgcn-2": (preset("lightgcn", num_layers=2, dim=128), False),
}
REFERENCE = "gat-2 (PyG messages)"


@contextlib.contextmanager
def pyg_messages(enabled: bool) -> Iterator[None]:
    """GAT layers aggregate by PyG's own forward over the step's kept edges."""
    original = GATConv.forward
    if enabled:
        GATConv.forward = lambda self, h, propagate: self.conv(h, propagate.edge_index)  # type: ignore[method-assign]
    try:
        yield
    finally:
        GATConv.forward = original  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ml100k")
    parser.add_argument("--rounds", type=int, default=5)
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
            with pyg_messages(MODELS[name][1]):
                seconds = epoch_seconds(*runs[name])
            if round_:
                times[name].append(seconds)
    base = statistics.median(times[REFERENCE])
    print(f"{args.dataset}, {len(split.train)} training interactions, threads={args.threads}")
    print(f"{'model':<22}{'median s/epoch':>15}{'min-max':>16}{'PyG / this':>12}")
    for name in names:
        median = statistics.median(times[name])
        spread = f"{min(times[name]):.3f}-{max(times[name]):.3f}"
        print(f"{name:<22}{median:>15.3f}{spread:>16}{base / median:>11.2f}x")


if __name__ == "__main__":
    main()
