"""Time of one full-ranking validation pass on ml-100k, per set of evaluated metrics.

    PYTHONPATH=. LGNAS_DATA_DIR=../shared/data python scripts/bench_eval.py --repeats 15

An untrained LightGCN (the preset) is validated through Lightning exactly as a
training validates after each epoch (propagation, scoring every item, masking, metrics), at
one thread. Each metric set is timed ``--repeats`` times, interleaved so load on the machine
hits every set alike; the median and the ratio to the default set are printed. A set the
installed lgnas does not know (an older checkout) is reported as unsupported, so the same
script measures a checkout before and after a metrics change.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import lightning as L
import torch

from lgnas.data import prepare_dataset
from lgnas.data.datamodule import RecDataModule
from lgnas.models import preset
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender

DEFAULT = ("recall", "ndcg", "precision", "hit", "mrr")
SETS = {
    "default": DEFAULT,
    "default+f1": (*DEFAULT, "f1"),
    "default+auc": (*DEFAULT, "auc"),
    "default+f1+auc": (*DEFAULT, "f1", "auc"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    data_dir = os.environ.get("LGNAS_DATA_DIR", "../shared/data")
    dataset = {"name": "ml100k", "format": "atomic", "path": f"{data_dir}/ml-100k"}
    dataset["split"] = {"kind": "random", "ratios": [0.8, 0.1, 0.1]}
    split = prepare_dataset(dataset, seed=0)
    data = RecDataModule(split, eval_batch_size=1024)
    L.seed_everything(0, verbose=False)
    model = GNNRecommender(preset("lightgcn"), data.graph)
    modules = {}
    for name, metrics in SETS.items():
        try:
            modules[name] = RecommenderModule(model, metrics=metrics, ks=(10, 20))
        except Exception as error:  # an older lgnas refuses the new names
            print(f"{name:<16} unsupported here ({type(error).__name__})")
    trainer = L.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False)
    seconds: dict[str, list[float]] = {name: [] for name in modules}
    for _ in range(args.repeats + 1):  # the first round warms up and is not counted
        for name, module in modules.items():
            start = time.perf_counter()
            trainer.validate(module, datamodule=data, verbose=False)
            seconds[name].append(time.perf_counter() - start)
    base = statistics.median(seconds["default"][1:])
    for name, times in seconds.items():
        median = statistics.median(times[1:])
        print(f"{name:<16} {median * 1000:7.1f} ms  x{median / base:.2f}")


if __name__ == "__main__":
    main()
