"""What GAT layers cost: lgnas's CSR attention against PyG's per-edge messages (same layer).

    python scripts/bench_gat.py --dataset ml100k --rounds 3 --threads 1

A 2-layer GAT recommender (2 heads, dim 128, as the default space draws it) trains on the
same batches (BPR, batch 2048, one negative, Adam lr 1e-3) twice: with lgnas's aggregation
(``lgnas.graph.attention``: one score per edge and head, CSR products forward and backward)
and with PyG's ``GATConv`` message passing over the edge list, the same parameters; LightGCN-2
at dim 128 is the yardstick. Epochs are interleaved, round by round in rotating order, so a
load change on a shared machine hits every model alike; the table gives each one's median
epoch and its ratio to the PyG aggregation's (below 1: faster).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from bench_epochs import compare  # scripts/ is on the path

from lgnas.models import Architecture, preset
from lgnas.models.layers import GATConv


@contextlib.contextmanager
def pyg_messages() -> Iterator[None]:
    """GAT layers aggregate by PyG's own forward over the step's kept edges."""
    original = GATConv.forward
    GATConv.forward = lambda self, h, propagate: self.conv(h, propagate.edge_index)  # type: ignore[method-assign]
    try:
        yield
    finally:
        GATConv.forward = original  # type: ignore[method-assign]


GAT = Architecture.from_dict({"num_layers": 2, "op": ["gat", "gat"], "heads": 2, "dim": 128})
MODELS = {
    "gat-2 (lgnas CSR)": (GAT, contextlib.nullcontext),
    "gat-2 (PyG messages)": (GAT, pyg_messages),
    "lightgcn-2": (preset("lightgcn", num_layers=2, dim=128), contextlib.nullcontext),
}


def main() -> None:
    compare(__doc__.splitlines()[0], MODELS, "gat-2 (PyG messages)")


if __name__ == "__main__":
    main()
