"""RecBole 1.2.1 LightGCN peer for the lgnas speed benchmark.

Run with the RecBole venv (see scripts/setup_recbole_venv.sh), never with the lgnas env:

    .venv-recbole/bin/python scripts/peers/recbole_lightgcn.py --dataset ml-100k --epochs 2

Uses RecBole's own ``LightGCN`` model, ``Trainer._train_epoch`` and ``Trainer.evaluate``.
Protocol: 3 layers, dim 64, BPR, 1 uniform negative per training interaction per epoch
(RecBole rejects negatives that are in the user's training items), batch 2048, Adam lr 1e-3,
reg 1e-4 * sum ||e_ego||^2 / (2B) over (user, pos, neg) ego embeddings (``require_pow: True``;
RecBole's default ``require_pow: False`` would use un-squared norms), full ranking over all items.

ml-100k: ``<data-dir>/ml-100k/ml-100k.inter`` as is (every rating is a positive), RS 8:1:1 by
user, random order.  Gowalla: ``train.txt``/``test.txt`` converted to RecBole benchmark files
``gowalla.{train,valid,test}.inter``; valid is a copy of test (train stays exactly train.txt;
the validation split is never evaluated here).

Timing: ``sec_per_epoch`` is the mean wall clock of ``trainer._train_epoch`` (includes RecBole's
per-batch negative sampling in its dataloader); ``sec_per_eval`` is one ``trainer.evaluate`` on the
test loader (full-sort, includes the LightGCN propagation).  No validation is run.
RecBole's ``eval_batch_size`` counts user x item score cells, not users, so
``eval_batch_size: 2048`` would mean 1 user per batch; we set it to ``eval_users * n_items`` so each
evaluation batch holds ``--eval-users`` (default 2048) users.  Pass ``--eval-users 0`` for the
literal ``eval_batch_size: 2048``.

Prints one JSON line on stdout at the end; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    add_peer_args,
    copy_ml100k_inter,
    peer_result,
    recbole_config,
    recbole_dataset,
    recbole_workdir,
    rs_eval_args,
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_peer_args(p)
    p.add_argument(
        "--eval-users",
        type=int,
        default=2048,
        help="users per full-sort evaluation batch (0: literal eval_batch_size 2048 cells)",
    )
    p.add_argument("--keep-workdir", action="store_true", help="do not delete the temp dir")
    return p.parse_args(argv)


def _write_gowalla_benchmark(src_dir: str, out_dir: str) -> None:
    """Convert LightGCN-format train.txt/test.txt into RecBole benchmark atomic files."""
    header = "user_id:token\titem_id:token\n"

    def convert(src, dst_list):
        outs = [open(d, "w") for d in dst_list]
        try:
            for f in outs:
                f.write(header)
            with open(src) as fin:
                for line in fin:
                    parts = line.split()
                    if len(parts) < 2:
                        continue
                    u = parts[0]
                    block = "".join(f"{u}\t{i}\n" for i in parts[1:])
                    for f in outs:
                        f.write(block)
        finally:
            for f in outs:
                f.close()

    convert(os.path.join(src_dir, "train.txt"), [os.path.join(out_dir, "gowalla.train.inter")])
    # valid := test (keeps train == train.txt); test must be exactly test.txt.
    convert(
        os.path.join(src_dir, "test.txt"),
        [os.path.join(out_dir, "gowalla.valid.inter"), os.path.join(out_dir, "gowalla.test.inter")],
    )


def main(argv=None) -> dict:
    args = parse_args(argv)
    data_dir = os.path.abspath(args.data_dir)

    import torch

    torch.set_num_threads(args.threads)

    from recbole.data import data_preparation
    from recbole.model.general_recommender import LightGCN
    from recbole.trainer import Trainer
    from recbole.utils import init_seed

    prefix = f"recbole_peer_{args.dataset}_"
    with recbole_workdir(prefix, args.dataset, keep=args.keep_workdir) as (work, ds_dir):
        config_dict = {
            "data_path": os.path.join(work, "data"),
            "use_gpu": False,
            "seed": args.seed,
            "reproducibility": True,
            "state": "INFO",
            "show_progress": False,
            "epochs": args.epochs,
            "train_batch_size": args.batch_size,
            "learner": "adam",
            "learning_rate": 1e-3,
            "train_neg_sample_args": {"distribution": "uniform", "sample_num": 1},
            "embedding_size": 64,
            "n_layers": 3,
            "reg_weight": 1e-4,
            "require_pow": True,
            "eval_step": 0,
            "metrics": ["Recall", "NDCG"],
            "topk": [20],
            "valid_metric": "NDCG@20",
            "metric_decimal_place": 6,
            "eval_batch_size": 2048,
            "load_col": {"inter": ["user_id", "item_id"]},
            "checkpoint_dir": os.path.join(work, "saved"),
        }
        if args.dataset == "ml-100k":
            copy_ml100k_inter(data_dir, ds_dir)
            config_dict.update(
                {
                    "eval_args": rs_eval_args(),
                    "threshold": None,
                    "val_interval": None,
                }
            )
        else:
            _write_gowalla_benchmark(os.path.join(data_dir, "gowalla"), ds_dir)
            config_dict.update(
                {
                    "benchmark_filename": ["train", "valid", "test"],
                    "eval_args": {"group_by": "user", "order": "RO", "mode": "full"},
                    "field_separator": "\t",
                }
            )

        t_setup = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):
            config = recbole_config("LightGCN", args.dataset, config_dict)
            dataset = recbole_dataset(config, args.threads)
            n_items = dataset.item_num  # includes RecBole's [PAD] item 0
            if args.eval_users > 0:
                config["eval_batch_size"] = args.eval_users * n_items
            train_data, valid_data, test_data = data_preparation(config, dataset)
            init_seed(config["seed"], config["reproducibility"])
            model = LightGCN(config, train_data._dataset).to(config["device"])
            trainer = Trainer(config, model)
            trainer.eval_collector.data_collect(train_data)
            setup_s = time.perf_counter() - t_setup
            print(
                f"[recbole peer] setup {setup_s:.2f}s, users={dataset.user_num - 1} "
                f"items={n_items - 1} train={len(train_data._dataset)} "
                f"test={len(test_data._dataset)} threads={torch.get_num_threads()}",
                file=sys.stderr,
            )

            epoch_times, losses = [], []
            for epoch in range(args.epochs):
                t0 = time.perf_counter()
                loss = trainer._train_epoch(train_data, epoch, show_progress=False)
                dt = time.perf_counter() - t0
                epoch_times.append(dt)
                losses.append(float(loss) / len(train_data))
                print(
                    f"[recbole peer] epoch {epoch} {dt:.2f}s mean batch loss {losses[-1]:.5f}",
                    file=sys.stderr,
                )

            t0 = time.perf_counter()
            result = trainer.evaluate(test_data, load_best_model=False, show_progress=False)
            eval_s = time.perf_counter() - t0
            print(f"[recbole peer] eval {eval_s:.2f}s {dict(result)}", file=sys.stderr)

        out = peer_result(
            "recbole",
            args,
            epoch_times=epoch_times,
            losses=losses,
            eval_s=eval_s,
            recall=float(result["recall@20"]),
            ndcg=float(result["ndcg@20"]),
            num_train=int(len(train_data._dataset)),
            num_users=int(dataset.user_num - 1),
            num_items=int(n_items - 1),
            num_test=int(len(test_data._dataset)),
            extra={"eval_batch_size": int(config["eval_batch_size"])},
            setup_s=setup_s,
            torch_version=torch.__version__,
        )
        print(json.dumps(out), flush=True)
        return out


if __name__ == "__main__":
    main()
