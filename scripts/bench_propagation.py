"""LightGCN-3 propagation (forward and backward) of this checkout against another, interleaved.

    git worktree add /tmp/lgnas-before <commit>
    LGNAS_DATA_DIR=../shared/data python scripts/bench_propagation.py \
        --against /tmp/lgnas-before --dataset gowalla --rounds 8

Both checkouts' ``lgnas/graph/sparse.py`` are loaded into one process and build the same
symmetric adjacency; each round times three products forward and their three backward (what
a LightGCN-3 training step spends in the graph) with the other checkout's, then this one's,
so both see the same machine load. Prints the median and the fastest round of each and their
ratio. One torch thread unless ``--threads``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data import prepare_dataset
from lgnas.graph.bipartite import BipartiteGraph

REPO = Path(__file__).resolve().parents[1]


def sparse_module(checkout: Path, name: str):
    """``lgnas/graph/sparse.py`` of ``checkout`` as a module of its own."""
    spec = importlib.util.spec_from_file_location(name, checkout / "lgnas/graph/sparse.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def adjacency(module, graph: BipartiteGraph):
    """The symmetric-normalised adjacency as ``module`` builds it (the graph's own layout)."""
    src, dst = graph.edge_index
    order, half = graph._csr_order, graph.num_edges
    mirrored = torch.where(order < half, order + half, order - half)
    weight = graph.edge_weight("symmetric")
    return module.SparseAdjacency(src, dst, weight, graph.num_nodes, order, mirrored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True, help="another lgnas checkout")
    parser.add_argument("--dataset", default="gowalla")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("train", overrides=[f"dataset={args.dataset}"])
    split = prepare_dataset(OmegaConf.to_container(cfg, resolve=True)["dataset"], seed=0)
    train = split.train
    graph = BipartiteGraph(train.user, train.item, train.num_users, train.num_items)
    systems = {
        "against": adjacency(sparse_module(args.against, "against_sparse"), graph),
        "this": adjacency(sparse_module(REPO, "this_sparse"), graph),
    }
    x = torch.randn(graph.num_nodes, args.dim, requires_grad=True)

    def step(matrix) -> None:
        h = total = x
        for _ in range(3):
            h = matrix.matmul(h)
            total = total + h
        total.sum().backward()

    times: dict[str, list[float]] = {name: [] for name in systems}
    for matrix in systems.values():
        step(matrix)  # warm-up: the cached CSR pair
    for _ in range(args.rounds):
        for name, matrix in systems.items():
            start = time.perf_counter()
            step(matrix)
            times[name].append(time.perf_counter() - start)
    print(
        f"{args.dataset}: {graph.num_nodes} nodes, {systems['this'].nnz} entries, "
        f"dim {args.dim}, {args.threads} thread(s), {args.rounds} rounds"
    )
    for name, values in times.items():
        print(
            f"{name:8} median {statistics.median(values) * 1e3:7.1f} ms  "
            f"fastest {min(values) * 1e3:7.1f} ms"
        )
    ratio = statistics.median(times["against"]) / statistics.median(times["this"])
    print(f"against / this (medians): {ratio:.2f}x")


if __name__ == "__main__":
    main()
