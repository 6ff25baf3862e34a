"""A whole search from its settings: trials, then final retrains, then the reports."""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lgnas.data.catalog import prepare_dataset
from lgnas.report.search_report import write_search_reports
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.executor import SerialSettings, make_executor
from lgnas.search.journal import Journal
from lgnas.search.loop import SearchOutcome, run_search
from lgnas.search.progress import SearchProgress
from lgnas.search.retrain import retrain_finalists
from lgnas.search.scheduler import FidelityScheduler
from lgnas.search.settings import SearchJob
from lgnas.strategies.scalarised import build_strategy

logger = logging.getLogger(__name__)


@dataclass
class SearchRun:
    """What :func:`search` produced."""

    outcome: SearchOutcome
    finals: dict[str, dict[str, Any]]
    output_dir: Path


def search(job: SearchJob, output_dir: str | Path, show_progress: bool = True) -> SearchRun:
    """Run (or resume) the search ``job`` describes, writing everything into ``output_dir``."""
    output_dir = Path(output_dir)
    split = prepare_dataset(job.dataset, seed=job.train.seed)
    outcome, evaluate = run_trials(job, split, output_dir, show_progress)
    settings = job.search
    finals = retrain_finalists(
        outcome,
        evaluate,
        split,
        top_k=settings.top_k,
        baselines=settings.baselines,
        optim=job.optim,
        settings=job.train,
        max_seconds=settings.final_seconds,
        output_dir=output_dir,
    )
    write_search_reports(
        output_dir,
        title=f"lgnas search: {job.strategy.name} on {job.dataset.get('name')}, seed "
        f"{job.train.seed}",
        trials=outcome.trials,
        finals=finals,
        objective=settings.objective,
        objectives=[o.spec for o in settings.objective_list],
        notes=[trials_note(outcome, settings.fidelity, settings.fidelity_scheduler)],
    )
    return SearchRun(outcome, finals, output_dir)


def run_trials(
    job: SearchJob, split: Any, output_dir: Path, show_progress: bool = False
) -> tuple[SearchOutcome, TrialEvaluator]:
    """The search's trials, journaled in ``output_dir/journal.jsonl`` (resumed if it exists).

    Returns:
        Every trial, and the evaluator that trained them (it turns points into models).
    """
    settings = job.search
    space = job.search_space
    objectives = settings.objective_list  # several: NSGA-II genetic, else scalarised
    strategy = build_strategy(
        job.strategy.name, space, job.train.seed, dict(job.strategy.options), objectives
    )
    if job.prior is not None:  # the priors' best points are the first asks, also on a resume
        strategy.enqueue(job.prior.points)
    scheduler = settings.fidelity_scheduler
    journal = Journal(output_dir / "journal.jsonl", job.identity())
    # What lgnas.recommend needs to rebuild the split and the models from the run directory.
    (output_dir / "config.yaml").write_text(yaml.safe_dump(dict(job.config), sort_keys=False))
    checkpoints = output_dir / "checkpoints"  # lower rungs' training, for the warm start
    evaluate = TrialEvaluator(
        job.optim,
        job.trial_settings,
        split,
        settings.objective,
        settings.trial_seconds,
        output_dir / "trials",
        checkpoint_dir=checkpoints if scheduler is not None and scheduler.warm_start else None,
        full_fidelity=settings.fidelity,
    )
    executor = make_executor(job.executor)
    if not isinstance(job.executor, SerialSettings) and settings.batch_size == 1:
        logger.warning(
            "search.batch_size=1: the executor gets one trial at a time; set search.batch_size "
            "to the number of trials to run at once"
        )
    # With a scheduler the trial budget counts full-fidelity trials, not bar steps.
    total = settings.trials if scheduler is None else None
    progress = SearchProgress(total, settings.objective) if show_progress else None
    with progress or contextlib.nullcontext():
        outcome = run_search(
            strategy,
            space,
            evaluate,
            journal,
            settings.budget,
            batch_size=settings.batch_size,
            fidelity=settings.fidelity,
            progress=progress,
            executor=executor,
            scheduler=scheduler,
        )
    shutil.rmtree(checkpoints, ignore_errors=True)  # the search is over: nothing continues
    return outcome, evaluate


def trials_note(
    outcome: SearchOutcome, fidelity: int | None, scheduler: FidelityScheduler | None
) -> str:
    """One line on the trials behind the report: how many, at which epochs, how many failed."""
    failed = sum(not r.ok for _, r in outcome.trials)
    if scheduler is None:
        return f"{len(outcome.trials)} trials at {fidelity} epochs each; {failed} failed."
    return (
        f"{len(outcome.trials)} trials scheduled by {scheduler.kind} (eta {scheduler.eta}, "
        f"{'/'.join(map(str, scheduler.ladder))} epochs), {outcome.epochs} training epochs "
        f"in all; {failed} failed."
    )
