"""Multi-fidelity vs full-fidelity search: best validation objective against epochs spent.

    LGNAS_DATA_DIR=../shared/data python scripts/compare_fidelity.py --trials 30 \
        --fraction 0.4 --seeds 0 1 2 -- search_space=lightgcn_family search.fidelity=18

For every seed, the strategy searches once with every trial at ``search.fidelity`` epochs
(``--trials`` trials), and once with each of ``--schedulers`` (successive halving, Hyperband)
under a budget of ``--fraction`` of those epochs. All use the real search loop and trainer
(no final retrains, no baselines). Printed: the best validation objective among trials
trained at full fidelity (mean ± std over seeds) and the training epochs spent, with their
ratio to the full-fidelity search's. Each search journals into ``--out``, so an interrupted
comparison resumes where it stopped when run again.
"""

from __future__ import annotations

import argparse
import copy
import statistics
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, SearchOutcome, run_search
from lgnas.search.settings import SearchJob
from lgnas.space import SearchSpace
from lgnas.strategies.registry import make_strategy

DEFAULTS = ["threads=1", "search.trial_seconds=null", "trainer.logger=false"]
SCHEDULER_KEYS = ("min_fidelity", "eta", "warm_start")


def search_once(job: SearchJob, trials: float, folder: Path) -> SearchOutcome:
    """One search of ``job`` (its ``search.scheduler`` included) with a trial budget."""
    settings = job.search
    space = SearchSpace.from_dict(dict(job.space))
    scheduler = settings.fidelity_scheduler
    # The budget is no part of the identity: a larger one resumes and extends a search.
    identity = copy.deepcopy(dict(job.config))
    if scheduler is None:  # settings it does not use: one full search serves every ladder
        for key in SCHEDULER_KEYS:
            identity["search"].pop(key, None)
    journal = Journal(folder / "journal.jsonl", identity)
    split = prepare_dataset(job.dataset, seed=job.train.seed)
    warm = scheduler is not None and scheduler.warm_start
    evaluate = TrialEvaluator(
        job.optim,
        job.trial_settings,
        split,
        settings.objective,
        settings.trial_seconds,
        checkpoint_dir=folder / "checkpoints" if warm else None,
        full_fidelity=settings.fidelity,
    )
    return run_search(
        make_strategy(job.strategy.name, space, seed=job.train.seed, **job.strategy.options),
        space,
        evaluate,
        journal,
        Budget(trials=trials, seconds=None),
        batch_size=settings.batch_size,
        fidelity=settings.fidelity,
        scheduler=scheduler,
    )


def best_at(outcome: SearchOutcome, fidelity: int) -> float:
    """The best objective of the trials trained at ``fidelity`` epochs (NaN: none)."""
    scores = [r.objective for _, r in outcome.trials if r.ok and r.fidelity == fidelity]
    return max(scores, default=float("nan"))


def summary(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {spread:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategy", default="genetic")
    parser.add_argument(
        "--schedulers", nargs="+", default=["sha", "hyperband"], choices=["sha", "hyperband"]
    )
    parser.add_argument("--trials", type=int, default=12, help="full-fidelity trials")
    parser.add_argument("--fraction", type=float, default=0.4, help="scheduled epoch budget")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("outputs/compare_fidelity"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for both searches")
    args = parser.parse_args()
    modes = {"full": (["search.scheduler=none"], float(args.trials))}
    for name in args.schedulers:
        modes[name] = ([f"search.scheduler={name}"], args.trials * args.fraction)
    rows: dict[str, list[tuple[float, int, int]]] = {mode: [] for mode in modes}
    with initialize_config_dir(config_dir(), version_base=None):
        for seed in args.seeds:
            for mode, (extra, trials) in modes.items():
                overrides = [f"+strategy={args.strategy}", f"seed={seed}", *DEFAULTS]
                cfg = compose("config", overrides=[*overrides, *args.overrides, *extra])
                job = SearchJob.from_config(OmegaConf.to_container(cfg, resolve=True))
                outcome = search_once(job, trials, args.out / mode / f"seed{seed}")
                best = best_at(outcome, job.search.fidelity)
                rows[mode].append((best, outcome.epochs, len(outcome.trials)))
                print(f"seed {seed} {mode}: best {best:.4f}, {outcome.epochs} epochs", flush=True)
    objective = f"val {job.search.objective}"
    print(f"\n| search | {objective} (mean ± std) | epochs (mean) | trials | epochs vs full |")
    print("|---|---|---|---|---|")
    full_epochs = statistics.mean(e for _, e, _ in rows["full"])
    for mode, results in rows.items():
        epochs = statistics.mean(e for _, e, _ in results)
        trials = statistics.mean(t for _, _, t in results)
        print(
            f"| {args.strategy} {mode} | {summary([b for b, _, _ in results])} | {epochs:.0f} "
            f"| {trials:.0f} | {epochs / full_epochs:.0%} |"
        )


if __name__ == "__main__":
    main()
