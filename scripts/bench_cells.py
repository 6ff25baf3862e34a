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

import contextlib
import functools
from collections.abc import Iterator

from bench_epochs import compare  # scripts/ is on the path

from lgnas.models import Architecture, preset
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


MODELS = {
    "lightgcn-2": (preset("lightgcn", num_layers=2), functools.partial(sharing, True)),
    "cells-2": (Architecture.from_dict(CELL), functools.partial(sharing, True)),
    "cells-2-unshared": (Architecture.from_dict(CELL), functools.partial(sharing, False)),
}


def main() -> None:
    compare(__doc__.splitlines()[0], MODELS, "lightgcn-2")


if __name__ == "__main__":
    main()
