"""What gathering a batch's rows costs: training epochs with ``index_select`` gathers (and every
item scored when the catalogue is small per negative) against plain tensor indexing.

    python scripts/bench_scores.py --dataset ml100k --rounds 5 --threads 2 \
        --loss softmax --negatives 16
    python scripts/bench_scores.py --dataset ml100k --rounds 5 --threads 2   # BPR, one negative

Each model trains twice on the same batches, once per gather (lgnas.models.scoring as shipped,
and ``table[index]`` with the scores of the sampled items only, as lgnas scored them before);
epochs are interleaved (scripts/bench_epochs.py). The ratio column is each row's median epoch
over the same model's with plain indexing: below 1, the shipped gathers are faster.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Iterator

from bench_epochs import arguments, interleaved_epochs, print_table  # scripts/ is on the path

from lgnas.models import Architecture, module, preset

MODELS = {
    "mf-128": Architecture.from_dict({"num_layers": 0, "dim": 128}),
    "lightgcn": preset("lightgcn"),
    "ngcf": preset("ngcf"),
    "ngcf-lightgcn-128": Architecture.from_dict(
        {"num_layers": 2, "op": "ngcf", "op2": "lightgcn", "dim": 128}
    ),
}
INDEXING = " (indexing)"


@contextlib.contextmanager
def shipped() -> Iterator[None]:
    yield


@contextlib.contextmanager
def indexing() -> Iterator[None]:
    """Training steps gather with ``table[index]`` and score only the sampled items."""
    originals = module.rows, module.sampled_scores
    module.rows = lambda table, index: table[index]
    module.sampled_scores = lambda users, items, sampled: (users.unsqueeze(1) * items[sampled]).sum(
        -1
    )
    try:
        yield
    finally:
        module.rows, module.sampled_scores = originals


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    models = {}
    for name, arch in MODELS.items():
        models[name] = (arch, shipped)
        models[name + INDEXING] = (arch, indexing)
    times, interactions = interleaved_epochs(args, models)
    plain = {name: statistics.median(times[name + INDEXING]) for name in MODELS}
    print_table(
        args,
        times,
        interactions,
        ("vs indexing", lambda name, median: median / plain[name.removesuffix(INDEXING)]),
    )


if __name__ == "__main__":
    main()
