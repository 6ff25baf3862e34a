"""RecBole 1.2.1 reference runs on ml-100k (BPR-MF, LightGCN, NGCF), for comparison with lgnas.

Run with the RecBole venv:

    .venv-recbole/bin/python scripts/peers/recbole_reference.py --model LightGCN
    .venv-recbole/bin/python scripts/peers/recbole_reference.py --all --jobs 2 --out ref.jsonl

Protocol: RecBole 1.2.1 defaults unless stated.  Atomic ml-100k as shipped (all ratings positive,
no threshold), RS 8:1:1 grouped by user, random order, full ranking; embedding 64, Adam lr 1e-3,
train batch 2048, 1 uniform negative; reg_weight 1e-4 (LightGCN, NGCF; RecBole's BPR model has no
reg term); LightGCN n_layers 3; NGCF hidden_size_list [64,64,64] (defaults: message_dropout 0.1,
node_dropout 0.0); early stopping on valid NDCG@20 with stopping_step 10, eval every epoch, up to
300 epochs; seed 2020; metrics Recall/NDCG @10 and @20; test with the best-valid checkpoint.
``require_pow`` stays at RecBole's default False (reg = sum of un-squared L2 norms / B).
``eval_batch_size`` is raised so that all users fit in one evaluation batch (it only changes speed).

One JSON line per model on stdout (and appended to --out if given); logs go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    copy_ml100k_inter,
    default_data_dir,
    recbole_config,
    recbole_dataset,
    recbole_workdir,
    reference_config,
)

MODELS = ["BPR", "LightGCN", "NGCF"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=MODELS)
    p.add_argument("--all", action="store_true", help="run all models as subprocesses")
    p.add_argument("--jobs", type=int, default=2, help="parallel subprocesses with --all")
    p.add_argument("--data-dir", default=default_data_dir())
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=2020)
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--out", help="append the JSON lines to this file")
    p.add_argument(
        "--reg-weight",
        type=float,
        default=1e-4,
        help="reg_weight for LightGCN/NGCF (RecBole's own defaults are 1e-5)",
    )
    return p.parse_args(argv)


def model_config(model: str, reg_weight: float = 1e-4) -> dict:
    cfg = {"embedding_size": 64}
    if model == "LightGCN":
        cfg.update({"n_layers": 3, "reg_weight": reg_weight})
    elif model == "NGCF":
        cfg.update({"hidden_size_list": [64, 64, 64], "reg_weight": reg_weight})
    return cfg


def run_one(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    # RecBole 1.2.1 saves {"config": Config, ...} and reloads it with torch.load(); torch >= 2.6
    # defaults to weights_only=True, which refuses the pickled Config.  Restore the old default.
    torch.load = functools.partial(torch.load, weights_only=False)

    from recbole.data import data_preparation
    from recbole.utils import get_model, get_trainer, init_seed

    data_dir = os.path.abspath(args.data_dir)
    with recbole_workdir(f"recbole_ref_{args.model}_") as (work, ds_dir):
        copy_ml100k_inter(data_dir, ds_dir)
        config_dict = {
            **reference_config(work, args.seed),
            "epochs": args.epochs,
            "learning_rate": 1e-3,
            "learner": "adam",
            "eval_step": 1,
            "stopping_step": 10,
            **model_config(args.model, args.reg_weight),
        }
        with contextlib.redirect_stdout(sys.stderr):
            config = recbole_config(args.model, "ml-100k", config_dict)
            dataset = recbole_dataset(config, args.threads)
            config["eval_batch_size"] = dataset.user_num * dataset.item_num  # one batch
            train_data, valid_data, test_data = data_preparation(config, dataset)
            init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
            model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
            trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)

            valid_scores = []
            t0 = time.perf_counter()
            best_valid_score, best_valid_result = trainer.fit(
                train_data,
                valid_data,
                saved=True,
                show_progress=False,
                callback_fn=lambda epoch, score: valid_scores.append((epoch, score)),
            )
            fit_s = time.perf_counter() - t0
            test_result = trainer.evaluate(test_data, load_best_model=True, show_progress=False)

        # early_stopping() updates on ">=", so the checkpoint is the LAST epoch reaching the max.
        best_epoch = max(valid_scores, key=lambda es: (es[1], es[0]))[0]
        out = {
            "model": args.model,
            "dataset": "ml-100k",
            "seed": args.seed,
            "best_epoch": best_epoch,  # 0-based, as RecBole logs it
            "epochs_run": len(valid_scores),
            "best_valid_ndcg@20": float(best_valid_score),
            "test": {k: float(v) for k, v in test_result.items()},
            "valid": {k: float(v) for k, v in best_valid_result.items()},
            "ndcg@20": float(test_result["ndcg@20"]),
            "recall@20": float(test_result["recall@20"]),
            "fit_sec": round(fit_s, 2),
            "sec_per_epoch_incl_valid": round(fit_s / max(len(valid_scores), 1), 3),
            "num_train": int(len(train_data._dataset)),
            "threads": args.threads,
            "config": model_config(args.model, args.reg_weight),
        }
        return out


def emit(out: dict, path: str | None) -> None:
    line = json.dumps(out)
    print(line, flush=True)
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


def main(argv=None):
    args = parse_args(argv)
    if args.all:
        pending = list(MODELS)
        running = []
        base = [
            sys.executable,
            os.path.abspath(__file__),
            "--data-dir",
            args.data_dir,
            "--threads",
            str(args.threads),
            "--seed",
            str(args.seed),
            "--epochs",
            str(args.epochs),
            "--reg-weight",
            str(args.reg_weight),
        ]
        while pending or running:
            while pending and len(running) < max(args.jobs, 1):
                m = pending.pop(0)
                running.append(
                    (m, subprocess.Popen(base + ["--model", m], stdout=subprocess.PIPE, text=True))
                )
            time.sleep(1)
            for m, proc in list(running):
                if proc.poll() is not None:
                    running.remove((m, proc))
                    lines = [ln for ln in proc.stdout.read().splitlines() if ln.startswith("{")]
                    if proc.returncode != 0 or not lines:
                        print(
                            f"[recbole_reference] {m} failed (rc={proc.returncode})",
                            file=sys.stderr,
                        )
                        continue
                    emit(json.loads(lines[-1]), args.out)
        return
    if not args.model:
        raise SystemExit("--model or --all is required")
    emit(run_one(args), args.out)


if __name__ == "__main__":
    main()
