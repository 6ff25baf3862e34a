"""Item cold-start on ml-100k: what language-model item text adds to metadata and to random.

    python scripts/bench_coldstart.py --seeds 0 1 2 3 4 --epochs 20 --trials 8 --out cold.json
    python scripts/bench_coldstart.py --warm --seeds 0 1 2 --out warm.json
    python scripts/bench_coldstart.py --exact-year --out exact_year.json   # author's metadata
    python scripts/bench_coldstart.py --encode --threads 2    # time MiniLM on every item

Cold (ColdRec protocol, ``conf/dataset/ml100k_cold.yaml``; random and temporal variants):
per seed, random scores, neighbour popularity and content kNN, and BPR-MF models whose items
are adapted content only (``fusion=none``, linear adapter, ``--epochs`` epochs, no tuning) on
metadata (genres + decade), MiniLM text, or both; plus the best architecture of a small random
search over ``search_space=text`` (``--trials`` candidates, seed 0 of each variant, chosen by
validation cold NDCG@20: the validation cold items are not the test ones). ``cold`` ranks
the test cold items among themselves (ColdRec; random Recall@20 about 20 / 168),
``cold_all`` among all 336 cold items (about 20 / 336, the issue's reference protocol).

Warm (``--warm``, ``dataset=ml100k_text``, 8:1:1): BPR-MF (the cheapest of the near-best
baselines in BENCHMARKS.md) with and without MiniLM text fused by ``add`` (linear adapter),
trained to early stopping; test NDCG@20 over all items and per popularity bucket.

Prints mean ± std per model and metric and writes every per-seed figure to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.coldstart import (
    content_knn,
    evaluate_groups,
    item_groups,
    model_scorer,
    neighbour_popularity,
    random_scores,
)
from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.models.architecture import Architecture
from lgnas.models.optim import Optim
from lgnas.search.evaluator import quiet_lightning
from lgnas.space import load_space, split_point
from lgnas.training import fit
from lgnas.training.job import TrainJob

CONTENT_MODELS = {"meta": "meta", "text": "text", "text+meta": "both"}


def config(dataset: str, epochs: int | None, seed: int, overrides: list[str]) -> TrainJob:
    """The composed ``train`` config, typed once here (dataset, recipe, train settings)."""
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose(
            "train",
            overrides=[
                f"dataset={dataset}",
                f"seed={seed}",
                f"threads={torch.get_num_threads()}",
                "trainer.enable_progress_bar=false",
                "dataset.item_features.text.progress=false",
                *([f"trainer.max_epochs={epochs}"] if epochs else []),
                *overrides,
            ],
        )
    return TrainJob.from_config(OmegaConf.to_container(cfg, resolve=True))


def train_and_score(
    arch: Architecture, optim: Optim, split, job: TrainJob, part: str = "test"
) -> dict:
    result = fit(arch, optim, split, job.train, test=False)
    groups = item_groups(split, part=part)
    scores = evaluate_groups(model_scorer(result.module.model), split, groups, part)
    scores["parameters"] = result.module.model.trainable_parameters()
    return scores


def search(split, job: TrainJob, trials: int, seed: int) -> tuple[dict, list]:
    """Random search over ``search_space=text``, scored by validation cold NDCG@20."""
    space, rng = load_space("text"), np.random.default_rng(seed)
    log, best = [], None
    for _ in range(trials):
        point = space.sample(rng)
        arch_values, optim_values = split_point(point)
        arch = Architecture.from_dict(arch_values)
        scores = train_and_score(arch, job.optim.updated(optim_values), split, job, "valid")
        value = scores["cold"].get("ndcg@20", 0.0)
        log.append({"point": point, "valid_cold_ndcg@20": value})
        print(f"  search: {point} -> valid cold NDCG@20 {value:.4f}", flush=True)
        if best is None or value > best[0]:
            best = (value, point)
    return best[1], log


def cold(args) -> dict:
    out: dict = {}
    for variant in args.variants:
        temporal = f"dataset.split.temporal={variant == 'temporal'}"
        job0 = config("ml100k_cold", args.epochs, args.seeds[0], [temporal, *args.override])
        best_point = None
        if args.trials:
            split0 = prepare_dataset(job0.dataset, args.seeds[0])
            best_point, log = search(split0, job0, args.trials, 0)
            out[f"{variant}/search"] = {"best": best_point, "trials": log}
        for seed in args.seeds:
            job = config("ml100k_cold", args.epochs, seed, [temporal, *args.override])
            split = prepare_dataset(job.dataset, seed)
            content = split.item_content
            groups = item_groups(split)
            runs = {
                "random": random_scores(split.train.num_items, seed),
                "popularity (text neighbours)": neighbour_popularity(split, content.text),
                "kNN text": content_knn(split, content.text),
                "kNN meta": content_knn(split, content.meta),
            }
            for name, scorer in runs.items():
                out.setdefault(f"{variant}/{name}", {})[seed] = evaluate_groups(
                    scorer, split, groups
                )
            for name, kind in CONTENT_MODELS.items():
                arch = Architecture(num_layers=0, item_content=kind, fusion="none")
                out.setdefault(f"{variant}/MF {name}", {})[seed] = train_and_score(
                    arch, job.optim, split, job
                )
            if best_point is not None:
                arch_values, optim_values = split_point(best_point)
                out.setdefault(f"{variant}/searched", {})[seed] = train_and_score(
                    Architecture.from_dict(arch_values),
                    job.optim.updated(optim_values),
                    split,
                    job,
                )
            print(f"{variant} seed {seed} done", flush=True)
    return out


def exact_year(args) -> dict:
    """MF on genres + exact release year one-hot (the issue author's metadata baseline)."""
    import dataclasses

    from lgnas.data.features import ItemContent, MetadataSpec, item_metadata

    spec = MetadataSpec(multi_hot=["class"], year="release_year", year_bucket=1)
    out: dict = {}
    for variant in args.variants:
        for seed in args.seeds:
            temporal = f"dataset.split.temporal={variant == 'temporal'}"
            job = config("ml100k_cold", args.epochs, seed, [temporal])
            split = prepare_dataset(job.dataset, seed)
            meta = item_metadata(split.train, spec)
            split = dataclasses.replace(split, item_content=ItemContent(meta=meta))
            arch = Architecture(num_layers=0, item_content="meta", fusion="none")
            out.setdefault(f"{variant}/MF meta (genre + exact year)", {})[seed] = train_and_score(
                arch, job.optim, split, job
            )
    return out


def warm(args) -> dict:
    out: dict = {}
    for seed in args.seeds:
        job = config("ml100k_text", None, seed, [])
        split = prepare_dataset(job.dataset, seed)
        for name, arch in {
            "MF": Architecture(num_layers=0),
            "MF + text (add)": Architecture(num_layers=0, item_content="text", fusion="add"),
        }.items():
            out.setdefault(name, {})[seed] = train_and_score(arch, job.optim, split, job)
        print(f"warm seed {seed} done", flush=True)
    return out


def encode(args) -> dict:
    """Encode every ml-100k item text into an empty cache (a miss), then again (a hit)."""
    import tempfile

    from lgnas.data.features import item_texts
    from lgnas.data.loaders import load_atomic
    from lgnas.text import cached_embeddings, load_encoder

    texts = item_texts(load_atomic(Path(os.environ["LGNAS_DATA_DIR"]) / "ml-100k"))
    with tempfile.TemporaryDirectory() as cache:
        times = {}
        for run in ("first (loads MiniLM, encodes)", "second (cache)"):
            start, cpu = time.perf_counter(), time.process_time()
            embeddings, hit = cached_embeddings(texts, "all-MiniLM-L6-v2", cache, progress=True)
            times[run] = {
                "seconds": time.perf_counter() - start,
                "cpu_seconds": time.process_time() - cpu,  # less sensitive to other load
                "cache_hit": hit,
            }
            if not hit:  # split the miss into loading and encoding
                start, cpu = time.perf_counter(), time.process_time()
                load_encoder("all-MiniLM-L6-v2").encode(texts, batch_size=64)
                times["encoding alone (model already loaded)"] = {
                    "seconds": time.perf_counter() - start,
                    "cpu_seconds": time.process_time() - cpu,
                }
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{len(texts)} items -> {embeddings.shape}, threads={torch.get_num_threads()}")
    for run, figures in times.items():
        print(f"  {run}: {figures}")
    return times


def summarise(out: dict) -> None:
    for name, per_seed in out.items():
        if name.endswith("/search"):
            print(f"{name}: best {per_seed['best']}")
            continue
        for group in ("cold", "cold_all", "warm", "all", "pop0", "pop1", "pop2"):
            cells = []
            for metric in ("recall@20", "ndcg@20"):
                values = [r[group][metric] for r in per_seed.values() if metric in r.get(group, {})]
                if values:
                    cells.append(f"{metric} {np.mean(values):.4f} ± {np.std(values):.4f}")
            if cells:
                print(f"{name:40s} {group:5s} " + "  ".join(cells) + f"  (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--trials", type=int, default=8, help="search trials; 0: no search")
    parser.add_argument(
        "--override",
        nargs="*",
        default=[],
        help="Hydra overrides, e.g. \"dataset.item_features.text.template='{movie_title}'\"",
    )
    parser.add_argument("--variants", nargs="+", default=["random", "temporal"])
    parser.add_argument("--warm", action="store_true", help="the warm-split comparison instead")
    parser.add_argument("--encode", action="store_true", help="time the text encoding only")
    parser.add_argument("--exact-year", action="store_true", help="genre + exact-year MF only")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_coldstart.json"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    quiet_lightning()
    if args.encode:
        encode(args)
        return
    start = time.perf_counter()
    out = warm(args) if args.warm else exact_year(args) if args.exact_year else cold(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=str))
    summarise(out)
    print(f"wall time {time.perf_counter() - start:.0f} s; per-seed figures in {args.out}")


if __name__ == "__main__":
    main()
