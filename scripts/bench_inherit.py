"""What weight inheritance saves: epochs a cell candidate needs to reach its from-scratch
validation score when it starts from its parent's trained weights.

    python scripts/bench_inherit.py --dataset synthetic --epochs 15 --threads 1

A parent with one-op layers (as stage 1 of the staged search keeps) trains ``--epochs``
epochs. Each child replaces its last layer with a cell (as stage 2 proposes) and trains
``--epochs`` epochs twice, from scratch and inheriting the parent's weights where names and
shapes match, with validation after every epoch. A child's target is its best from-scratch
validation NDCG@20; the table gives the epochs each start needs to reach it, and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import lightning as L
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.models.inherit import save_weights
from lgnas.search.evaluator import TrialEvaluator, quiet_lightning
from lgnas.search.settings import SearchJob
from lgnas.training import fit

PARENT = {"num_layers": 2, "op": ["lightgcn", "gcn"], "dim": 64, "lr": 0.01}
CHILDREN = {  # the last layer's cell
    "gcn(x), lightgcn(x); mean": {"cell_nodes": [1, 2], "op2": ["skip", "lightgcn"],
                                  "input2": [0, 0], "cell_merge": ["sum", "mean"]},
    "gcn(x), sage(1); sum": {"cell_nodes": [1, 2], "op2": ["skip", "sage"],
                             "input2": [0, 1], "cell_merge": ["sum", "sum"]},
    "ngcf(x), gcn(x), linear(2); concat": {
        "cell_nodes": [1, 3], "op": ["lightgcn", "ngcf"], "op2": ["skip", "gcn"],
        "input2": [0, 0], "op3": ["skip", "linear"], "input3": [0, 2],
        "cell_merge": ["sum", "concat"]},
}  # fmt: skip


class Curve(L.Callback):
    """The monitored validation score after every training epoch."""

    def __init__(self, monitor: str) -> None:
        self.monitor, self.scores = monitor, []

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.state.fn == "fit" and not trainer.sanity_checking:
            self.scores.append(float(trainer.callback_metrics[self.monitor]))


def curve(evaluate: TrialEvaluator, point: dict, epochs: int, **options) -> list[float]:
    arch, optim = evaluate.training_options(point)
    watch = Curve(evaluate.objective)
    fit(arch, optim, evaluate.split, evaluate.settings, max_epochs=epochs, test=False,
        callbacks=[watch], **options)  # fmt: skip
    return watch.scores


def reached(scores: list[float], target: float) -> int | None:
    return next((epoch + 1 for epoch, s in enumerate(scores) if s >= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="synthetic")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    overrides = ["+strategy=staged", "search_space=cells", f"dataset={args.dataset}",
                 f"threads={args.threads}", "eval.patience=1000"]  # fmt: skip
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("config", overrides=overrides)
    job = SearchJob.from_config(OmegaConf.to_container(cfg, resolve=True))
    split = prepare_dataset(job.dataset, seed=job.train.seed)
    evaluate = TrialEvaluator(job.optim, job.trial_settings, split, job.search.objective)
    quiet_lightning()
    with tempfile.TemporaryDirectory() as folder:
        weights = Path(folder) / "parent.weights.pt"
        arch, optim = evaluate.training_options(PARENT)
        parent = fit(arch, optim, evaluate.split, evaluate.settings, max_epochs=args.epochs,
                     test=False)  # fmt: skip
        save_weights(parent.module.model, weights)
        print(f"{args.dataset}: parent {PARENT['op']} {args.epochs} epochs, "
              f"{evaluate.objective} {parent.valid[evaluate.objective]:.4f}")  # fmt: skip
        print(f"{'last layer cell':<38}{'target':>8}{'scratch':>9}{'inherit':>9}{'ratio':>7}")
        for name, cell in CHILDREN.items():
            child = {**PARENT, **cell}
            scratch = curve(evaluate, child, args.epochs)
            inherited = curve(evaluate, child, args.epochs, init_from=weights)
            target = max(scratch)
            need, have = reached(scratch, target), reached(inherited, target)
            ratio = f"{have / need:.2f}" if have else "-"
            print(f"{name:<38}{target:>8.4f}{need:>9}{have or f'>{args.epochs}':>9}{ratio:>7}")


if __name__ == "__main__":
    main()
