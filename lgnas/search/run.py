"""A whole search from its settings: trials, then final retrains, then the reports."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lgnas.data.catalog import prepare_dataset
from lgnas.errors import SearchError
from lgnas.report.finals import answer_name, answer_note
from lgnas.report.search_report import write_search_reports
from lgnas.report.verdict import verdict_lines
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.executor import SerialSettings, make_executor
from lgnas.search.journal import Journal
from lgnas.search.loop import SearchOutcome, run_search
from lgnas.search.progress import SearchProgress
from lgnas.search.proxy import prepare_proxy, proxy_share
from lgnas.search.retrain import START_WEIGHTS, retrain_finalists
from lgnas.search.scheduler import FidelityScheduler
from lgnas.search.settings import RESUME_MAY_CHANGE, SearchJob
from lgnas.strategies.scalarised import build_strategy
from lgnas.training import read_recipe
from lgnas.trials import TrialResult, describe_fidelity, fidelity_order

logger = logging.getLogger(__name__)


@dataclass
class SearchRun:
    """What :func:`search` produced; ``verdict``: the short summary it ends with."""

    outcome: SearchOutcome
    finals: dict[str, dict[str, Any]]
    output_dir: Path
    verdict: list[str] = field(default_factory=list)


def search(job: SearchJob, output_dir: str | Path, show_progress: bool = True) -> SearchRun:
    """Run (or resume) the search ``job`` describes, writing everything into ``output_dir``.

    With ``show_progress`` one display follows every phase: the trials, then each retrain.
    """
    output_dir = Path(output_dir)
    split = prepare_dataset(job.dataset, seed=job.train.seed)
    settings = job.search
    progress = search_progress(job) if show_progress else None
    with progress or contextlib.nullcontext():
        outcome, evaluate = run_trials(job, split, output_dir, progress=progress)
        _refuse_all_failed(outcome, output_dir)
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
            objective=settings.objective,
            propagated_layers=settings.propagated_layers,
            blend=settings.blend,
            blend_refit=settings.blend_refit,
            ensemble=settings.ensemble,
            ensemble_baselines=settings.ensemble_baselines,
            progress=progress,
        )
    title = f"lgnas search: {job.strategy.name} on {job.dataset.get('name')}, seed {job.train.seed}"
    note = trials_note(outcome, settings.fidelity, settings.fidelity_scheduler)
    recipe = answer_recipe(outcome, evaluate, finals, output_dir)
    if recipe is not None:
        if job.train.task == "ctr":  # trained with BCE on impressions: no ranking loss
            members = recipe[0].get("members") or ()  # an ensemble's own recipes
            for optim in (recipe[1], *(member.get("optim") or {} for member in members)):
                optim.pop("loss", None)
                optim.pop("num_negatives", None)
    users = split.train.user_ids
    verdict = verdict_lines(
        title=title,
        finals=finals,
        metric=settings.objective,
        run_dir=output_dir,
        dataset=str(job.dataset.get("name")),
        recipe=recipe,
        trials_note=note,
        user=str(users[0]) if len(users) else None,
        task=job.train.task,
    )
    write_search_reports(
        output_dir,
        title=title,
        trials=outcome.trials,
        finals=finals,
        objective=settings.objective,
        objectives=[o.spec for o in settings.objective_list],
        also=report_metrics(job),
        notes=[
            note,
            *answer_note(finals, settings.objective),
            *([split.note] if split.note else []),
            *prior_note(job),
            *spent_note(outcome),
        ],
        verdict=verdict,
        recipe=recipe,
    )
    return SearchRun(outcome, finals, output_dir, verdict)


def answer_recipe(
    outcome: SearchOutcome,
    evaluate: TrialEvaluator,
    finals: dict[str, dict[str, Any]],
    output_dir: Path,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The search's answer as ``arch`` and ``optim`` mappings: the retrained one chosen on
    validation as it trained (``final/<answer>/architecture.yaml``, e.g. a blend with its
    chosen weight; else ``best_architecture.yaml``), or the best trial's when none was
    retrained."""
    best = outcome.top(1)
    if not best:
        return None
    answer = answer_name(finals)
    if answer is not None:
        for saved in (
            output_dir / "final" / answer / "architecture.yaml",
            output_dir / "best_architecture.yaml",
        ):
            recipe = read_recipe(saved) if saved.is_file() else None
            if recipe is not None:
                return recipe
    arch, optim = evaluate.training_options(best[0][0].point)
    return arch.to_dict(), optim.to_dict()


def search_identity(job: SearchJob, split: Any) -> dict[str, Any]:
    """The journal's identity: the job's, plus the split's seed where it is not the run's.

    Validation carved from a predefined train set is drawn with ``dataset.split.seed``
    (default 0), not the run's seed; a journal written when the run's seed drew it then
    differs (``split_seed``) and is not resumed with other validation rows. Where the run's
    seed draws the split, as before, the identity is unchanged.
    """
    identity = job.identity()
    drawn = getattr(split, "seed", None)
    if drawn is not None and drawn != job.train.seed:
        identity["split_seed"] = drawn
    return identity


def report_metrics(job: SearchJob) -> tuple[str, ...]:
    """Test metrics the report shows after the objective: recall@20 for ranking, every other
    evaluated metric for the click-through task (AUC, GAUC, LogLoss, accuracy)."""
    if job.train.task == "ranking":
        return ("recall@20",)
    return tuple(m for m in job.train.eval.logged if m != job.search.objective)


def search_progress(job: SearchJob) -> SearchProgress:
    """The display :func:`search` shows: a bar over the trial budget (unknown with a
    multi-fidelity scheduler, whose budget counts epochs), then a line per retrain."""
    settings = job.search
    total = settings.trials if settings.fidelity_scheduler is None else None
    return SearchProgress(total, settings.objective, seconds=settings.budget.seconds)


def run_trials(
    job: SearchJob,
    split: Any,
    output_dir: Path,
    show_progress: bool = False,
    *,
    progress: SearchProgress | None = None,
) -> tuple[SearchOutcome, TrialEvaluator]:
    """The search's trials, journaled in ``output_dir/journal.jsonl`` (resumed if it exists).

    ``progress`` is a display the caller has started (:func:`search` keeps one through the
    retrains too); else ``show_progress`` shows one for the trials alone.

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
    proxy = None
    if scheduler is not None and settings.proxy_users is not None:
        proxy = prepare_proxy(
            job.dataset, settings.proxy_users, settings.proxy_kcore, seed=job.train.seed
        )
        scheduler = dataclasses.replace(scheduler, proxy_share=proxy_share(proxy, split))
    free = RESUME_MAY_CHANGE if settings.fidelity is not None else ()  # else trials read it
    journal = Journal(output_dir / "journal.jsonl", search_identity(job, split), free)
    # What lgnas.recommend needs to rebuild the split and the models from the run directory.
    (output_dir / "config.yaml").write_text(yaml.safe_dump(dict(job.config), sort_keys=False))
    checkpoints = output_dir / "checkpoints"  # lower rungs' training, parents' weights
    evaluate = TrialEvaluator(
        job.optim,
        job.trial_settings,
        split,
        settings.objective,
        settings.trial_seconds,
        output_dir / "trials",
        checkpoint_dir=checkpoints if scheduler is not None and scheduler.warm_start else None,
        full_fidelity=settings.fidelity,
        weights_dir=checkpoints if strategy.inherits_weights else None,
        proxy_split=proxy,
    )
    executor = make_executor(job.executor)
    if not isinstance(job.executor, SerialSettings) and settings.batch_size == 1:
        logger.warning(
            "search.batch_size=1: the executor gets one trial at a time; set search.batch_size "
            "to the number of trials to run at once"
        )
    own = search_progress(job) if progress is None and show_progress else None
    progress = progress or own
    with own or contextlib.nullcontext():
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
    if strategy.finetunes_finalists:  # their retrains continue these weights
        keep_finalist_weights(outcome, evaluate, settings.top_k, output_dir)
    shutil.rmtree(checkpoints, ignore_errors=True)  # the search is over: nothing continues
    for line in spent_note(outcome):
        if progress is not None:
            progress.note(line)
        else:
            logger.info(line)
    return outcome, evaluate


def keep_finalist_weights(
    outcome: SearchOutcome, evaluate: TrialEvaluator, top_k: int, output_dir: Path
) -> None:
    """Copy the ``top_k`` best trials' trained weights to ``final/found-<rank>/`` (as
    :data:`~lgnas.search.retrain.START_WEIGHTS`), where their retrains start from them and
    a resumed search still finds them after the trials' own are gone."""
    for rank, (candidate, result) in enumerate(outcome.top(top_k), 1):
        weights = evaluate.weights_path(candidate.point, result.fidelity)
        if weights.is_file():
            folder = output_dir / "final" / f"found-{rank}"
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(weights, folder / START_WEIGHTS)


def spent_note(outcome: SearchOutcome) -> list[str]:
    """The line a resumed search prints when its journal had already spent its budget (all
    its trials count, see :func:`run_search`); none otherwise."""
    if outcome.new or not outcome.trials or not outcome.spent:
        return []
    return [
        f"budget already spent: {len(outcome.trials)} trials / {outcome.seconds:.1f} s; "
        "nothing new to run"
    ]


def _refuse_all_failed(outcome: SearchOutcome, output_dir: Path) -> None:
    """Stop a search whose every trial failed, with the first one's error: there is nothing
    to retrain, and the cause (a setting, the data, the machine) fails every trial alike."""
    if not outcome.trials or any(result.ok for _, result in outcome.trials):
        return
    candidate, result = outcome.trials[0]
    raise SearchError(
        f"all {len(outcome.trials)} trials failed, so nothing was found; the first (trial "
        f"{candidate.id}) failed with: {result.error}. Fix that, then run again in a new output "
        f"directory ({output_dir}/journal.jsonl keeps the failures and a resume replays them)"
    )


def prior_note(job: SearchJob) -> list[str]:
    """A line on the priors the first candidates came from; none without a prior."""
    prior = job.prior
    if prior is None:
        return []
    names = ", ".join(
        path.stem if path.name != "journal.jsonl" else str(path.parent) for path in prior.sources
    )
    dropped = f"; {prior.dropped} of their points were not valid here" if prior.dropped else ""
    return [
        f"The first {len(prior.points)} candidates were the best points of the priors "
        f"{names} (search.prior){dropped}."
    ]


def trials_note(
    outcome: SearchOutcome, fidelity: int | None, scheduler: FidelityScheduler | None
) -> str:
    """One line on what the trials really trained, read from their results.

    Per fidelity (highest first): how many trials, and the epochs their models reached, least
    to most (``cost.epochs``, plus ``cost.resumed_from`` for a trial that continued a lower
    rung's checkpoint: a time limit or a failure can end a trial below its fidelity); with a
    scheduler also the training epochs spent in all; then how many trials failed. Trials
    that inherited a parent's weights (``cost.inherited``) are counted too. E.g.
    ``16 trials: 12 at 15 epochs (trained 15–15), 4 at 5 epochs (trained 5–5); 1 failed.``
    """
    groups: dict[int | None, list[TrialResult]] = {}
    for _, result in outcome.trials:
        level = result.fidelity if result.fidelity is not None else fidelity
        groups.setdefault(level, []).append(result)
    parts = []
    for level in sorted(groups, key=fidelity_order, reverse=True):
        results = groups[level]
        at = describe_fidelity(level)
        reached = [
            int(r.cost["epochs"]) + int(r.cost.get("resumed_from", 0))
            for r in results
            if "epochs" in r.cost
        ]
        detail = [f"trained {min(reached)}–{max(reached)}"] if reached else []
        resumed = sum("resumed_from" in r.cost for r in results)
        if resumed:
            detail.append(f"{resumed} continuing a lower rung")
        inherited = sum("inherited" in r.cost for r in results)
        if inherited:
            detail.append(f"{inherited} starting from a parent's weights")
        parts.append(f"{len(results)} at {at}" + (f" ({', '.join(detail)})" if detail else ""))
    line = f"{len(outcome.trials)} trials"
    if scheduler is not None:
        ladder = "/".join(map(str, scheduler.ladder))
        proxy = scheduler.proxy_epochs
        screen = f"screened {describe_fidelity(-proxy)}, then " if proxy is not None else ""
        line += f" by {scheduler.kind} (eta {scheduler.eta}, {screen}rungs of {ladder} epochs)"
    if parts:
        line += ": " + ", ".join(parts)
    if scheduler is not None:
        line += f"; {outcome.epochs} training epochs in all"
    failed = sum(not r.ok for _, r in outcome.trials)
    return f"{line}; {failed} failed."
