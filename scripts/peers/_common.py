"""Pieces shared by the peer scripts in this folder.

Imported both by the RecBole scripts (``.venv-recbole``) and by ``pyg_lightgcn.py`` (the main
env), so only the standard library is imported at the top; torch and RecBole are imported inside
the functions that need them (at call time, so that patches of ``recbole.config.Config`` and
``recbole.data.create_dataset`` by ``export_recbole_split.py`` are seen).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile


def default_data_dir() -> str:
    return os.environ.get("LGNAS_DATA_DIR", "/work/shared/data")


def add_peer_args(p) -> None:
    """The flags every speed-benchmark peer (pyg_lightgcn.py, recbole_lightgcn.py) takes."""
    p.add_argument("--dataset", choices=["ml-100k", "gowalla"], default="ml-100k")
    p.add_argument(
        "--data-dir",
        default=default_data_dir(),
        help="folder holding ml-100k/ and gowalla/ (default: $LGNAS_DATA_DIR or /work/shared/data)",
    )
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=2020)
    p.add_argument("--batch-size", type=int, default=2048)


def peer_result(
    peer: str,
    args,
    *,
    epoch_times: list[float],
    losses: list[float],
    eval_s: float,
    recall: float,
    ndcg: float,
    num_train: int,
    num_users: int,
    num_items: int,
    num_test: int,
    extra: dict,
    setup_s: float,
    torch_version: str,
) -> dict:
    """A speed-benchmark peer's JSON result (``extra`` goes after ``num_test``)."""
    return {
        "peer": peer,
        "dataset": args.dataset,
        "epochs": args.epochs,
        "threads": args.threads,
        "sec_per_epoch": sum(epoch_times) / max(len(epoch_times), 1),
        "sec_per_eval": eval_s,
        "recall@20": recall,
        "ndcg@20": ndcg,
        "num_train": num_train,
        "epoch_times": [round(t, 4) for t in epoch_times],
        "train_loss": [round(x, 6) for x in losses],
        "num_users": num_users,
        "num_items": num_items,
        "num_test": num_test,
        **extra,
        "setup_sec": round(setup_s, 3),
        "seed": args.seed,
        "torch": torch_version,
    }


# --------------------------------------------------------------------------- RecBole


@contextlib.contextmanager
def recbole_workdir(prefix: str, dataset: str = "ml-100k", keep: bool = False):
    """A temp dir to run RecBole in, with an empty ``data/<dataset>/``; yields (work, ds_dir).

    RecBole writes ./log, ./log_tensorboard and ./saved into the cwd, so the cwd is the temp dir
    while inside.  Afterwards the cwd is restored and the dir deleted (unless ``keep``).
    """
    work = tempfile.mkdtemp(prefix=prefix)
    old_cwd = os.getcwd()
    try:
        os.chdir(work)
        ds_dir = os.path.join(work, "data", dataset)
        os.makedirs(ds_dir)
        yield work, ds_dir
    finally:
        os.chdir(old_cwd)
        if keep:
            print(f"[recbole peer] workdir kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def copy_ml100k_inter(data_dir: str, ds_dir: str) -> None:
    """Copy ``<data_dir>/ml-100k/ml-100k.inter`` (data_dir absolute) into ``ds_dir``."""
    shutil.copy(os.path.join(data_dir, "ml-100k", "ml-100k.inter"), ds_dir)


def rs_eval_args() -> dict:
    """RS 8:1:1 grouped by user, random order, full ranking (a fresh dict on each call)."""
    return {
        "split": {"RS": [0.8, 0.1, 0.1]},
        "group_by": "user",
        "order": "RO",
        "mode": "full",
    }


def reference_config(work: str, seed: int) -> dict:
    """The RecBole config of the ml-100k reference runs (recbole_reference.py) that the export of
    their split (export_recbole_split.py) uses too, without the training/model keys."""
    return {
        "data_path": os.path.join(work, "data"),
        "checkpoint_dir": os.path.join(work, "saved"),
        "use_gpu": False,
        "seed": seed,
        "reproducibility": True,
        "show_progress": False,
        "train_batch_size": 2048,
        "train_neg_sample_args": {"distribution": "uniform", "sample_num": 1},
        "eval_args": rs_eval_args(),
        "metrics": ["Recall", "NDCG"],
        "topk": [10, 20],
        "valid_metric": "NDCG@20",
        "eval_batch_size": 4096,
    }


def recbole_config(model: str, dataset: str, config_dict: dict):
    """RecBole's ``Config``, with our own flags hidden from it (it parses sys.argv too)."""
    from recbole.config import Config

    saved_argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        return Config(model=model, dataset=dataset, config_dict=config_dict)
    finally:
        sys.argv = saved_argv


def recbole_dataset(config, threads: int):
    """Seed, start RecBole's logger, pin torch's threads again, and create the dataset."""
    import torch
    from recbole.data import create_dataset
    from recbole.utils import init_logger, init_seed

    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    torch.set_num_threads(threads)
    return create_dataset(config)
