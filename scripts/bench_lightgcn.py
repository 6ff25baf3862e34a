"""Speed and quality of lgnas's LightGCN next to RecBole's and PyG's, measured in one run.

    python scripts/bench_lightgcn.py --datasets ml-100k gowalla --epochs 5 --threads 1

Each system trains LightGCN-3 (dim 64, BPR, one uniform negative per training interaction per
epoch, batch 2048, Adam lr 1e-3, reg 1e-4 on the batch's ego embeddings) for ``--epochs`` epochs on
the same training data, then ranks all items for every test user once. Every system runs in its
own process, one after another, with the same torch thread count, so none competes for cores.
RecBole runs from its own virtual environment (``scripts/setup_recbole_venv.sh``); a peer whose
environment is missing is reported as skipped. Prints a table with ratios against lgnas.

``--devices cpu cuda`` also runs lgnas on the GPU (row ``lgnas-cuda``; its ratio is GPU time /
CPU time); ``scripts/gpu_check.sh`` runs that on Gowalla.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# name -> (interpreter, script, extra arguments)
PEERS = {
    "recbole": (
        REPO / ".venv-recbole" / "bin" / "python",
        REPO / "scripts/peers/recbole_lightgcn.py",
        [],
    ),
    # PyG's LightGCN as its examples run it: message passing over edge_index.
    "pyg": (
        Path(sys.executable),
        REPO / "scripts/peers/pyg_lightgcn.py",
        ["--graph", "edge_index"],
    ),
    # The same model given a sparse CSR adjacency (torch.sparse.mm propagation).
    "pyg-csr": (Path(sys.executable), REPO / "scripts/peers/pyg_lightgcn.py", ["--graph", "adj_t"]),
}
# benchmark dataset -> (lgnas dataset config, the peers' --dataset)
DATASETS = {
    "ml-100k": ("ml100k", "ml-100k"),
    # lgnas on exactly RecBole's split (scripts/peers/export_recbole_split.py), so quality after
    # N epochs compares like for like with RecBole; the PyG peer keeps its own RS split.
    "ml-100k-recbole-split": ("ml100k_recbole_split", "ml-100k"),
    "gowalla": ("gowalla", "gowalla"),
}


def measure_lgnas(dataset: str, epochs: int, threads: int, seed: int, device: str) -> dict:
    """Train lgnas's LightGCN preset without validation; time epochs and one test evaluation
    (``device``: ``cpu`` or ``cuda``)."""
    import lightning as L
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from lgnas.config import config_dir
    from lgnas.data import prepare_dataset
    from lgnas.data.datamodule import RecDataModule
    from lgnas.models import GNNRecommender, RecommenderModule, preset
    from lgnas.training.host import prepare_host

    prepare_host(threads)  # as every lgnas training sets up its process
    L.seed_everything(seed, verbose=False)
    overrides = [f"dataset={DATASETS[dataset][0]}"]
    if dataset == "gowalla":  # train on all of train.txt, as the peers do
        overrides.append("dataset.split.valid_ratio=0.0")
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("train", overrides=overrides)
    config = OmegaConf.to_container(cfg, resolve=True)
    split = prepare_dataset(config["dataset"], seed=seed)
    data = RecDataModule(split, batch_size=2048, eval_batch_size=2048, seed=seed)
    module = RecommenderModule(
        GNNRecommender(preset("lightgcn"), data.graph), metrics=["recall", "ndcg"], ks=[20]
    )

    epoch_seconds: list[float] = []

    class EpochTimer(L.Callback):
        def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            epoch_seconds.append(time.perf_counter() - self.start)

    trainer = L.Trainer(
        max_epochs=epochs,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[EpochTimer()],
        accelerator="gpu" if device == "cuda" else "cpu",
        devices=1,
    )
    trainer.fit(module, datamodule=data)
    start = time.perf_counter()
    test = trainer.test(module, datamodule=data, verbose=False)[0]
    eval_seconds = time.perf_counter() - start
    return {
        "peer": "lgnas" if device == "cpu" else f"lgnas-{device}",
        "dataset": dataset,
        "epochs": epochs,
        "threads": threads,
        "sec_per_epoch": sum(epoch_seconds) / len(epoch_seconds),
        "sec_per_eval": eval_seconds,
        "recall@20": test["test/recall@20"],
        "ndcg@20": test["test/ndcg@20"],
        "num_train": len(split.train),
    }


def run_worker(command: list[str], env: dict[str, str]) -> dict:
    """Run one system in its own process and parse the JSON line it prints last; adds the
    process's peak resident memory (``peak_rss_mb``, from ``wait4``)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().strip(), err.read().strip()
    if process.returncode != 0:
        return {"error": stderr.splitlines()[-1] if stderr else "failed"}
    peak_mb = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    return {**json.loads(stdout.splitlines()[-1]), "peak_rss_mb": round(peak_mb)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ml-100k"], choices=sorted(DATASETS))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--peers", nargs="*", default=sorted(PEERS), choices=sorted(PEERS))
    parser.add_argument(
        "--devices", nargs="+", default=["cpu"], choices=["cpu", "cuda"], help="lgnas's devices"
    )
    parser.add_argument("--out", type=Path, help="also write all results as JSON lines here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:  # a child process measuring lgnas
        measured = measure_lgnas(
            args.datasets[0], args.epochs, args.threads, args.seed, args.devices[0]
        )
        print(json.dumps(measured))
        return

    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    common = [
        "--epochs",
        str(args.epochs),
        "--threads",
        str(args.threads),
        "--seed",
        str(args.seed),
    ]
    results = []
    for dataset in args.datasets:
        commands = {
            "lgnas" if device == "cpu" else f"lgnas-{device}": [
                *(sys.executable, __file__, "--worker", "--datasets", dataset),
                *("--devices", device, *common),
            ]
            for device in args.devices
        }
        for peer in args.peers:
            python, script, extra = PEERS[peer]
            if python.exists():
                peer_dataset = DATASETS[dataset][1]
                commands[peer] = [
                    str(python),
                    str(script),
                    "--dataset",
                    peer_dataset,
                    *common,
                    *extra,
                ]
            else:
                results.append({"peer": peer, "dataset": dataset, "error": f"{python} missing"})
        for name, command in commands.items():
            print(f"... {name} on {dataset}", file=sys.stderr, flush=True)
            results.append({**run_worker(command, env), "peer": name, "dataset": dataset})
    print_table(results, args)
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in results))


def print_table(results: list[dict], args: argparse.Namespace) -> None:
    print(f"\nLightGCN-3, dim 64, batch 2048, {args.epochs} epochs, {args.threads} thread(s)")
    columns = ("s/epoch", "x lgnas", "s/eval", "x lgnas")
    print(
        f"{'dataset':8} {'system':10} "
        + " ".join(f"{c:>8}" for c in columns)
        + "    R@20    N@20  peak MB"
    )
    for dataset in args.datasets:
        rows = [r for r in results if r["dataset"] == dataset]
        ours = next((r for r in rows if r["peer"].startswith("lgnas") and "error" not in r), None)
        for r in rows:
            if "error" in r:
                print(f"{dataset:8} {r['peer']:10} skipped: {r['error']}")
                continue
            epoch_ratio = r["sec_per_epoch"] / ours["sec_per_epoch"] if ours else float("nan")
            eval_ratio = r["sec_per_eval"] / ours["sec_per_eval"] if ours else float("nan")
            print(
                f"{dataset:8} {r['peer']:10} {r['sec_per_epoch']:8.3f} {epoch_ratio:8.2f} "
                f"{r['sec_per_eval']:8.3f} {eval_ratio:8.2f} "
                f"{r['recall@20']:7.4f} {r['ndcg@20']:7.4f} {r.get('peak_rss_mb', '-'):>8}"
            )
    print("(x lgnas = time / the first lgnas row's time: above 1 means that lgnas is faster)")


if __name__ == "__main__":
    main()
