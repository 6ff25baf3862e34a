"""Click-through prediction on ml-100k (``task=ctr dataset=ml100k_ctr``): baselines and a
searched architecture, test AUC / GAUC / LogLoss over seeds.

    PYTHONPATH=. LGNAS_DATA_DIR=../shared/data python scripts/bench_ctr.py --seeds 0 1 2
    python scripts/bench_ctr.py --seeds 0 --models lr fm --max-epochs 40      # quick look
    python scripts/bench_ctr.py --seeds 0 1 2 --search-trials 16             # + found

Every model trains the same way ``python -m lgnas.train task=ctr`` does: BCE on the
training impressions, early stopping on validation AUC (``eval.patience`` after
``eval.warmup``), the best weights tested once. Models: ``lr`` (logistic regression on the
ids), ``fm`` (factorization machine over the id fields), and the GNN presets with their
pointwise head. With ``--search-trials N`` a genetic search (N trials at its fidelity) runs
per seed and its best architecture is retrained and tested like the baselines (``found``).
A CTR library's FM/DeepFM would be the peer; none is installed here (deepctr-torch is on
PyPI), so none is run. Prints mean ± std per model and writes every figure to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import warnings
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data import prepare_dataset
from lgnas.search.run import search
from lgnas.search.settings import SearchJob
from lgnas.training import fit
from lgnas.training.job import TrainJob

METRICS = ("auc", "gauc", "logloss")


def composed(name: str, overrides: list[str]) -> dict:
    with initialize_config_dir(config_dir(), version_base=None):
        return OmegaConf.to_container(compose(name, overrides=overrides), resolve=True)


def test_metrics(overrides: list[str], seed: int) -> dict[str, float]:
    """Train one model as ``python -m lgnas.train`` would and return its test metrics."""
    job = TrainJob.from_config(composed("train", [*overrides, f"seed={seed}"]))
    split = prepare_dataset(job.dataset, seed=seed)
    result = fit(job.architecture, job.optim, split, job.train)
    row = {name: result.test[f"test/{name}"] for name in METRICS}
    return {**row, "epochs": result.epochs, "stop": result.stop_reason}


def found_architecture(common: list[str], seed: int, trials: int) -> Path:
    """Run a genetic search on ``ml100k_ctr`` and return its best_architecture.yaml."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"ctr_search_seed{seed}_"))
    overrides = [*common, "+strategy=genetic", f"seed={seed}", f"search.trials={trials}"]
    job = SearchJob.from_config(composed("config", [*overrides, "search.baselines=[]"]))
    search(job, run_dir, show_progress=False)
    return run_dir / "best_architecture.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["lr", "fm", "lightgcn", "ngcf"])
    parser.add_argument("--max-epochs", type=int, default=300)
    parser.add_argument("--search-trials", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("ctr_bench.json"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    common = [
        "task=ctr",
        "dataset=ml100k_ctr",
        f"threads={args.threads}",
        f"trainer.max_epochs={args.max_epochs}",
        "trainer.enable_progress_bar=false",
    ]
    rows: dict[str, list[dict]] = {}
    for seed in args.seeds:
        models = {name: [f"model={name}"] for name in args.models}
        if args.search_trials:
            best = found_architecture(common, seed, args.search_trials)
            models["found"] = ["model=file", f"model.path={best}"]
        for name, model in models.items():
            row = test_metrics([*common, *model], seed)
            rows.setdefault(name, []).append({"seed": seed, **row})
            print(f"seed {seed} {name:<9}", json.dumps(row), flush=True)
    args.out.write_text(json.dumps(rows, indent=2))
    print(f"\n{'model':<9} " + "  ".join(f"{m:>17}" for m in METRICS))
    for name, runs in rows.items():
        cells = []
        for metric in METRICS:
            values = [r[metric] for r in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.4f} ± {spread:.4f}")
        print(f"{name:<9} " + "  ".join(f"{c:>17}" for c in cells))


if __name__ == "__main__":
    main()
