"""Item cold start on ml-100k: frozen MiniLM text embeddings vs LoRA fine-tuning of MiniLM.

    python scripts/bench_lora.py --seeds 0 --epochs 10 --out outputs/bench_lora/seed0.json
    python scripts/bench_lora.py --seeds 0 1 --epochs 5 --rank 8 --lr 5e-4 --items-per-step 128

The model of ``scripts/bench_coldstart.py``'s "MF, MiniLM text" row (``dataset=ml100k_cold``,
random cold split, BPR, dim 64, items = linear adapter of their text only, ``fusion=none``,
``--epochs`` epochs, best validation epoch, no tuning), trained twice per seed: on the cached
frozen embeddings, and with the encoder fine-tuned by LoRA during training
(``+dataset.item_features.text.finetune.rank=<rank>``, :mod:`lgnas.text.lora`). Reports cold
/ cold_all / warm Recall@20 and NDCG@20 on test, seconds per epoch (training plus the
per-epoch validation, which with LoRA re-encodes all 1,682 items once) and trainable
parameters by part. Threads: ``--threads`` (default 1).
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

from lgnas.coldstart import evaluate_groups, item_groups, model_scorer
from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.models.architecture import Architecture
from lgnas.search.evaluator import quiet_lightning
from lgnas.training import fit
from lgnas.training.job import TrainJob


def config(args, seed: int, lora: bool) -> TrainJob:
    """The composed ``train`` config, typed once here (dataset, recipe, train settings)."""
    finetune = (
        [
            f"+dataset.item_features.text.finetune.rank={args.rank}",
            f"+dataset.item_features.text.finetune.lr={args.lr}",
            f"+dataset.item_features.text.finetune.items_per_step={args.items_per_step}",
        ]
        if lora
        else []
    )
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose(
            "train",
            overrides=[
                "dataset=ml100k_cold",
                f"dataset.split.temporal={args.temporal}",
                f"seed={seed}",
                f"threads={args.threads}",
                "trainer.enable_progress_bar=false",
                "trainer.logger=false",
                "dataset.item_features.text.progress=false",
                f"trainer.max_epochs={args.epochs}",
                *finetune,
            ],
        )
    return TrainJob.from_config(OmegaConf.to_container(cfg, resolve=True))


def run(args, seed: int, lora: bool) -> dict:
    job = config(args, seed, lora)
    split = prepare_dataset(job.dataset, seed)
    arch = Architecture(num_layers=0, item_content="text", fusion="none", adapter="linear")
    result = fit(arch, job.optim, split, job.train, test=False)
    model = result.module.model
    scores = evaluate_groups(model_scorer(model), split, item_groups(split))
    scores["parameters"] = model.trainable_parameters()
    scores["epochs"] = result.epochs
    scores["best_epoch"] = result.best_epoch
    scores["train_seconds"] = result.train_seconds
    scores["seconds_per_epoch"] = result.train_seconds / max(result.epochs, 1)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rank", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-4, help="LoRA learning rate")
    parser.add_argument("--items-per-step", type=int, default=128)
    parser.add_argument("--modes", nargs="+", default=["frozen", "lora"])
    parser.add_argument("--temporal", action="store_true", help="temporal cold split")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_lora/bench_lora.json"))
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    quiet_lightning()
    out: dict = {"settings": vars(args) | {"out": str(args.out)}}
    for seed in args.seeds:
        for mode in args.modes:
            start = time.perf_counter()
            scores = run(args, seed, mode == "lora")
            out.setdefault(mode, {})[seed] = scores
            cold = scores["cold"]
            print(
                f"seed {seed} {mode:6s} cold R@20 {cold['recall@20']:.4f} "
                f"N@20 {cold['ndcg@20']:.4f}  {scores['seconds_per_epoch']:.1f} s/epoch "
                f"({scores['epochs']} epochs, best {scores['best_epoch']})  "
                f"params {scores['parameters']}  wall {time.perf_counter() - start:.0f} s",
                flush=True,
            )
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(out, indent=1, default=str))
    for mode in args.modes:
        per_seed = out.get(mode, {})
        for group in ("cold", "cold_all", "warm"):
            cells = []
            for metric in ("recall@20", "ndcg@20"):
                values = [r[group][metric] for r in per_seed.values()]
                cells.append(f"{metric} {np.mean(values):.4f} ± {np.std(values):.4f}")
            print(f"{mode:6s} {group:8s} " + "  ".join(cells) + f"  (n={len(per_seed)})")
        seconds = [r["seconds_per_epoch"] for r in per_seed.values()]
        print(f"{mode:6s} seconds/epoch {np.mean(seconds):.1f}  (load {os.getloadavg()[0]:.1f})")
    print(f"per-seed figures in {args.out}")


if __name__ == "__main__":
    main()
