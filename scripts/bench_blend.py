"""A GNN blended with a graph filter against each alone, on the same split and seed.

For each dataset and seed: the GNN preset (``--base``, default LightGCN-3) trained as
``python -m lgnas.train`` trains it (early-stopped on validation), the filter preset
(``--filter``, default BSPM) computed with its grid chosen on validation, and their blend
(the trained GNN reused, not trained again; the filter's point, then the weight chosen on
validation). Each of the three is tested once. One JSON line per (dataset, seed) goes to
``--out``, and finished lines are not run again, so the script resumes.

    PYTHONPATH=. LGNAS_DATA_DIR=../shared/data python scripts/bench_blend.py \\
        --datasets ml100k --seeds 0 1 2 --threads 1 --out blend.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data import prepare_dataset
from lgnas.models.blend import Blend
from lgnas.models.families import model_preset
from lgnas.training import fit, fit_blend
from lgnas.training.job import TrainJob

METRICS = ("test/recall@20", "test/ndcg@20", "val/ndcg@20")


def _job(dataset: str, seed: int, threads: int) -> TrainJob:
    overrides = [f"dataset={dataset}", f"seed={seed}", f"threads={threads}"]
    overrides += ["trainer.logger=false", "trainer.enable_progress_bar=false"]
    with initialize_config_dir(str(config_dir()), version_base=None):
        config = OmegaConf.to_container(compose("train", overrides=overrides), resolve=True)
    return TrainJob.from_config(config)


def run_one(dataset: str, seed: int, base: str, graph_filter: str, threads: int) -> dict:
    """The three models' validation and test metrics, epochs and seconds."""
    job = _job(dataset, seed, threads)
    split = prepare_dataset(job.dataset, seed=seed)
    gnn = model_preset(base)
    spec = Blend(gnn, model_preset(graph_filter))
    start = time.perf_counter()
    trained = fit(gnn, job.optim, split, job.train)
    filtered = fit(spec.filter, job.optim, split, job.train)
    blended = fit_blend(spec, trained, split, job.train, job.optim)
    chosen_filter = blended.architecture.filter.to_dict()
    rows = {}
    for name, result in ((base, trained), (graph_filter, filtered), ("blend", blended)):
        metrics = {**result.valid, **result.test}
        rows[name] = {key: metrics[key] for key in METRICS}
        rows[name]["epochs"] = result.epochs
    return {
        "dataset": dataset,
        "seed": seed,
        "models": rows,
        "chosen": blended.architecture.to_dict()["weight"],
        "filter": {k: chosen_filter[k] for k in ("alpha", "rank", "sharpen")},
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ml100k"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--base", default="lightgcn")
    parser.add_argument("--filter", default="bspm")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("blend.jsonl"))
    args = parser.parse_args()
    done = set()
    if args.out.is_file():
        for line in args.out.read_text().splitlines():
            row = json.loads(line)
            done.add((row["dataset"], row["seed"]))
    for dataset in args.datasets:
        for seed in args.seeds:
            if (dataset, seed) in done:
                continue
            row = run_one(dataset, seed, args.base, args.filter, args.threads)
            with args.out.open("a") as out:
                out.write(json.dumps(row) + "\n")
            print(_line(row), flush=True)


def _line(row: dict) -> str:
    cells = [
        f"{name} {m['test/recall@20']:.4f}/{m['test/ndcg@20']:.4f} (val {m['val/ndcg@20']:.4f})"
        for name, m in row["models"].items()
    ]
    return f"{row['dataset']} seed {row['seed']}: " + " | ".join(cells) + f", w={row['chosen']}"


if __name__ == "__main__":
    main()
