"""A whole search from a config: trials, then final retrains, baselines and the report."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from lgnas.data.catalog import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture, preset
from lgnas.report import (
    write_best_architecture,
    write_leaderboard,
    write_report,
    write_search_analysis,
)
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.executor import SerialExecutor, make_executor
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, SearchOutcome, run_search
from lgnas.search.objectives import search_objectives
from lgnas.search.progress import SearchProgress
from lgnas.search.scheduler import FidelityScheduler
from lgnas.space import SearchSpace
from lgnas.strategies.scalarised import build_strategy
from lgnas.train import fit, save_result

logger = logging.getLogger(__name__)


@dataclass
class SearchRun:
    """What :func:`search` produced."""

    outcome: SearchOutcome
    finals: dict[str, dict[str, Any]]
    output_dir: Path


def strategy_options(cfg: DictConfig) -> tuple[str, dict[str, Any]]:
    """The strategy's registered name and its constructor options from ``cfg.strategy``."""
    if "strategy" not in cfg or cfg.strategy is None:
        raise ConfigError(
            "no search strategy chosen; add +strategy=<name> (e.g. +strategy=genetic)"
        )
    options = OmegaConf.to_container(cfg.strategy, resolve=True)
    return options.pop("name"), options


def check_settings(settings: DictConfig, eval_cfg: DictConfig) -> None:
    """Refuse ``search.*`` values of the wrong kind before any training starts."""
    rules = {
        "trials": (int, True),
        "seconds": ((int, float), True),
        "batch_size": (int, False),
        "fidelity": (int, True),
        "top_k": (int, False),
        "trial_seconds": ((int, float), True),
        "final_seconds": ((int, float), True),
    }
    for key, (kind, nullable) in rules.items():
        value = settings.get(key)
        if value is None and nullable:
            continue
        if isinstance(value, bool) or not isinstance(value, kind) or value < 0:
            expected = "a non-negative number" + (" or null" if nullable else "")
            raise ConfigError(f"search.{key}={value!r} must be {expected}")
    if settings.trials is None and settings.seconds is None:
        raise ConfigError("search.trials and search.seconds are both null: set a budget")
    for key in ("batch_size", "fidelity"):
        if settings.get(key) == 0:
            raise ConfigError(f"search.{key}=0 must be at least 1")
    logged = [f"{m}@{k}" for m in eval_cfg.metrics for k in eval_cfg.ks]
    if settings.objective not in logged:
        raise ConfigError(
            f"search.objective={settings.objective!r} is not among the evaluated metrics "
            f"{logged}; change it or eval.metrics / eval.ks"
        )
    FidelityScheduler.from_settings(settings)  # its own errors name the key at fault


def search(cfg: DictConfig, output_dir: str | Path, show_progress: bool = True) -> SearchRun:
    """Run (or resume) the search ``cfg`` describes, writing everything into ``output_dir``."""
    output_dir = Path(output_dir)
    check_settings(cfg.search, cfg.eval)
    seed = int(cfg.seed)
    name, options = strategy_options(cfg)
    space = SearchSpace.from_dict(OmegaConf.to_container(cfg.search_space, resolve=True))
    objectives = search_objectives(cfg.search)  # several: NSGA-II genetic, else scalarised
    strategy = build_strategy(name, space, seed, options, objectives)
    split = prepare_dataset(cfg.dataset, seed=seed)
    settings = cfg.search
    identity = {
        "strategy": {"name": name, **options},
        "search_space": OmegaConf.to_container(cfg.search_space, resolve=True),
        "dataset": OmegaConf.to_container(cfg.dataset, resolve=True),
        "optim": OmegaConf.to_container(cfg.optim, resolve=True),
        "eval": OmegaConf.to_container(cfg.eval, resolve=True),
        "trainer": OmegaConf.to_container(cfg.trainer, resolve=True),
        "threads": cfg.threads,
        "seed": seed,
        "fidelity": settings.fidelity,
        "trial_seconds": settings.get("trial_seconds"),
        "objective": settings.objective,
        # Only when set, so journals of single-objective searches stay resumable.
        **({"objectives": [o.spec for o in objectives]} if len(objectives) > 1 else {}),
    }
    scheduler = FidelityScheduler.from_settings(settings)
    if scheduler is not None:  # absent otherwise, so journals of earlier searches still resume
        identity["scheduler"] = {
            "kind": scheduler.kind,
            "min_fidelity": scheduler.min_fidelity,
            "eta": scheduler.eta,
            "warm_start": scheduler.warm_start,
        }
    journal = Journal(output_dir / "journal.jsonl", identity)
    # What lgnas.recommend needs to rebuild the split and the models from the run directory.
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    checkpoints = output_dir / "checkpoints"  # lower rungs' training, for the warm start
    evaluate = TrialEvaluator(
        cfg,
        split,
        settings.objective,
        settings.get("trial_seconds"),
        output_dir / "trials",
        checkpoint_dir=checkpoints if scheduler is not None and scheduler.warm_start else None,
    )
    budget = Budget(trials=settings.trials, seconds=settings.seconds)
    # Not part of the identity: where trials ran does not change them, so a search begun
    # serially may be resumed on Ray and the other way round.
    executor_cfg = cfg.get("executor")
    executor = make_executor(
        OmegaConf.to_container(executor_cfg, resolve=True) if executor_cfg is not None else None
    )
    if not isinstance(executor, SerialExecutor) and settings.batch_size == 1:
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
            budget,
            batch_size=int(settings.batch_size),
            fidelity=settings.fidelity,
            progress=progress,
            executor=executor,
            scheduler=scheduler,
        )
    shutil.rmtree(checkpoints, ignore_errors=True)  # the search is over: nothing continues
    write_leaderboard(outcome.trials, output_dir / "leaderboard.csv", settings.objective)
    finals = retrain_finalists(cfg, outcome, evaluate, split, output_dir)
    write_report(
        output_dir / "report.md",
        title=f"lgnas search: {name} on {cfg.dataset.name}, seed {seed}",
        finals=finals,
        metrics=[settings.objective, "recall@20"],
        notes=[_trials_note(outcome, settings.fidelity, scheduler)],
    )
    write_search_analysis(output_dir, settings.objective, [o.spec for o in objectives])
    return SearchRun(outcome, finals, output_dir)


def _trials_note(
    outcome: SearchOutcome, fidelity: int | None, scheduler: FidelityScheduler | None
) -> str:
    failed = sum(not r.ok for _, r in outcome.trials)
    if scheduler is None:
        return f"{len(outcome.trials)} trials at {fidelity} epochs each; {failed} failed."
    return (
        f"{len(outcome.trials)} trials scheduled by {scheduler.kind} (eta {scheduler.eta}, "
        f"{'/'.join(map(str, scheduler.ladder))} epochs), {outcome.epochs} training epochs "
        f"in all; {failed} failed."
    )


def retrain_finalists(
    cfg: DictConfig, outcome: SearchOutcome, evaluate: TrialEvaluator, split: Any, output_dir: Path
) -> dict[str, dict[str, Any]]:
    """Full-fidelity training and one test of the top architectures and of the baselines.

    Each result is saved under ``final/<name>/``; a resumed search reuses saved ones.
    """
    base_optim = OmegaConf.to_container(cfg.optim, resolve=True)
    contenders: dict[str, tuple[str, Architecture, dict[str, Any]]] = {}
    for rank, (candidate, _) in enumerate(outcome.top(int(cfg.search.top_k)), 1):
        arch, optim = evaluate.training_options(candidate.point)
        contenders[f"found-{rank}"] = ("found", arch, optim)
        if rank == 1:
            write_best_architecture(arch.to_dict(), optim, output_dir / "best_architecture.yaml")
    for baseline in cfg.search.baselines:
        contenders[baseline] = ("baseline", preset(baseline), base_optim)
    finals = {}
    for name, (kind, arch, optim) in contenders.items():
        folder = output_dir / "final" / name
        finals[name] = {"kind": kind, **_final_result(arch, optim, split, cfg, folder)}
    return finals


def _final_result(
    arch: Architecture, optim: dict[str, Any], split: Any, cfg: DictConfig, folder: Path
) -> dict[str, Any]:
    """Train and test one finalist, or reuse its saved result if it is the same model.

    A finalist whose training fails (e.g. diverges at full fidelity) is reported with its
    error instead of ending the search.
    """
    saved = folder / "architecture.yaml"
    same = saved.is_file() and OmegaConf.to_container(OmegaConf.load(saved)) == {
        "arch": arch.to_dict(),
        "optim": optim,
    }
    if not (same and (folder / "metrics.json").is_file()):
        try:
            limit = cfg.search.get("final_seconds")
            result = fit(arch, optim, split, cfg, max_seconds=limit, log_dir=folder / "logs")
        except Exception as error:  # one finalist, not the whole search
            return {"error": f"{type(error).__name__}: {error}"}
        save_result(result, folder, optim)
    summary = json.loads((folder / "metrics.json").read_text())
    return {
        "test": summary["test"],
        "valid": summary["valid"],
        "parameters": summary["num_parameters"],
        "train_seconds": summary["train_seconds"],
    }
