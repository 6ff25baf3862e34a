"""After the search: retrain the best candidates and the baselines at full fidelity, test once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lgnas.data.splits import Split
from lgnas.models.architecture import propagated
from lgnas.models.blend import Blend
from lgnas.models.ensemble import Ensemble
from lgnas.models.families import Model, model_preset
from lgnas.models.optim import Optim
from lgnas.report.finals import (
    BLENDED,
    ENSEMBLE,
    FOUND_PREFIX,
    PROPAGATED,
    answer_first,
    answer_name,
    final_row,
)
from lgnas.report.write import stop_text
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.loop import SearchOutcome
from lgnas.search.progress import SearchProgress
from lgnas.training import (
    TrainResult,
    TrainSettings,
    fit,
    fit_blend,
    fit_ensemble,
    forget_result,
    load_result,
    read_recipe,
    read_summary,
    save_result,
    write_recipe,
)
from lgnas.training.result import SUMMARY
from lgnas.training.task import load_click_result

REQUEST = "request.yaml"
"""In ``final/<name>/``: the model and recipe asked for (a graph filter's grids, a blend's
weights), which ``architecture.yaml`` narrows to what validation chose."""
PROGRESS = "retrain.ckpt"
"""In ``final/<name>/`` while a retrain (or a blend's refit) runs: its state after its last
complete epoch, which a resumed search continues (the row's train seconds then count the
last piece only). Removed once the result is saved, unless the retrain ended at the epoch
cap: a search resumed with a higher ``trainer.max_epochs`` then continues it."""
START_WEIGHTS = "start.weights.pt"
"""In ``final/found-<rank>/``: the trial's trained weights its retrain continues (a staged
search's stage 3, :attr:`~lgnas.strategies.SearchStrategy.finetunes_finalists`)."""


def retrain_finalists(
    outcome: SearchOutcome,
    evaluate: TrialEvaluator,
    split: Split,
    *,
    top_k: int,
    baselines: tuple[str, ...],
    optim: Optim,
    settings: TrainSettings,
    max_seconds: float | None,
    output_dir: Path,
    objective: str,
    propagated_layers: int = 0,
    blend: str | None = None,
    blend_refit: bool = False,
    ensemble: bool = False,
    ensemble_baselines: bool = False,
    progress: SearchProgress | None = None,
) -> dict[str, dict[str, Any]]:
    """Full training and one test of the ``top_k`` best points and of the ``baselines``.

    With ``propagated_layers``, a best point without message passing is also retrained on
    that many LightGCN layers, its recipe otherwise unchanged (``found-1-propagated``):
    trials of a few epochs favour matrix factorisation, which converges first, over the
    same recipe on the graph, which may end higher. Of the retrained found models, the one
    with the best validation ``objective`` is the search's answer: its recipe is written to
    ``best_architecture.yaml`` and its row comes first.

    With ``blend`` (a graph filter preset, e.g. ``bspm``), that answer's trained model is then
    blended with the filter (``<answer>-blended``, :class:`~lgnas.models.blend.Blend`, its
    weight chosen on validation, 0 included), and the better of the two on validation is
    the answer. With ``blend_refit`` that blend is tested refitted on training and
    validation (:attr:`~lgnas.models.blend.Blend.refit`: its GNN retrained for its best
    epochs, the filter rebuilt); what validation chose is unchanged.

    With ``ensemble`` (click-through), the retrained found models are also averaged
    (``found-ensemble``, :class:`~lgnas.models.ensemble.Ensemble`, its weights chosen on
    validation, so it never scores below its best member there), and the better on
    validation is the answer. With ``ensemble_baselines`` the baselines' retrains are
    candidate members too (the row and the recipe name every member).

    A found point whose folder holds :data:`START_WEIGHTS` continues from them (fine-tuning
    its trial's model); the others, and every baseline, train from scratch. Each result is
    saved under ``final/<name>/``; a resumed search reuses saved ones, and continues a
    retrain it was killed in from its last complete epoch (:data:`PROGRESS`). ``progress`` shows
    each retrain's epochs as they go.

    Returns:
        Per model name (the answer, the other found models, then the baselines): its
        ``kind`` (``found`` or ``baseline``), test/valid metrics, parameters, train seconds,
        ``epochs`` trained, ``best_epoch`` (counted from 0), ``stop_reason`` and
        ``still_improving`` (both ``None`` for a reused result saved before they were
        recorded), or an ``error``.
    """
    contenders: dict[str, tuple[str, Model, Optim]] = {}
    for rank, (candidate, _) in enumerate(outcome.top(top_k), 1):
        arch, recipe = evaluate.training_options(candidate.point)
        contenders[f"found-{rank}"] = ("found", arch, recipe)
        if rank == 1:  # until the retrains choose the answer
            write_recipe(output_dir / "best_architecture.yaml", arch, recipe)
            if propagated_layers and arch.num_layers == 0:
                graph = propagated(arch, propagated_layers)
                contenders[f"found-1{PROPAGATED}"] = ("found", graph, recipe)
    for baseline in baselines:
        contenders[baseline] = ("baseline", model_preset(baseline), optim)
    finals = {}
    for name, (kind, arch, recipe) in contenders.items():
        folder = output_dir / "final" / name
        finals[name] = _final_result(
            kind, arch, recipe, split, settings, max_seconds, folder, name, progress
        )
    finals = answer_first(finals, objective)
    if ensemble:
        kinds = ("found", "baseline") if ensemble_baselines else ("found",)
        finals = _with_ensemble(finals, contenders, kinds, split, settings, output_dir, progress)
        finals = answer_first(finals, objective)
    answer = answer_name(finals)
    if blend is not None and answer is not None and "error" not in finals[answer]:
        _, arch, recipe = contenders[answer]
        blended = Blend(arch, model_preset(blend), refit=blend_refit)
        name = f"{answer}{BLENDED}"
        contenders[name] = ("found", blended, recipe)
        base = output_dir / "final" / answer
        folder = output_dir / "final" / name

        def blend_it() -> TrainResult:
            trained = load_result(base, split)
            if trained is None:
                raise FileNotFoundError(f"no saved model in {base} to blend")
            return fit_blend(
                blended,
                trained,
                split,
                settings,
                recipe,
                log_dir=folder / "logs",
                refit_checkpoint=folder / PROGRESS,
            )

        blend_row = _combined_result(blended, recipe, folder, progress, blend_it, [base])
        finals = answer_first(_after_found(finals, name, blend_row), objective)
        answer = answer_name(finals)
    if answer is not None:
        _, arch, recipe = contenders[answer]
        write_recipe(output_dir / "best_architecture.yaml", arch, recipe)
    return finals


def _with_ensemble(
    finals: dict[str, dict[str, Any]],
    contenders: dict[str, tuple[str, Model, Optim]],
    kinds: tuple[str, ...],
    split: Split,
    settings: TrainSettings,
    output_dir: Path,
    progress: SearchProgress | None,
) -> dict[str, dict[str, Any]]:
    """``finals`` with ``found-ensemble`` after the found rows: the models of ``kinds``
    (``found``, ``baseline``) that trained, averaged; unchanged if fewer than two trained."""
    members = [n for n, row in finals.items() if row.get("kind") in kinds and "error" not in row]
    if len(members) < 2:
        return finals
    recipes = tuple((contenders[n][1], contenders[n][2]) for n in members)
    spec = Ensemble(recipes, names=tuple(members))
    name = f"{FOUND_PREFIX}{ENSEMBLE}"
    contenders[name] = ("found", spec, Optim())
    folder = output_dir / "final" / name

    def ensemble_them() -> TrainResult:
        trained = [load_click_result(output_dir / "final" / n, split, settings) for n in members]
        missing = [n for n, result in zip(members, trained) if result is None]
        if missing:
            raise FileNotFoundError(f"no saved model of {missing} in {output_dir / 'final'}")
        return fit_ensemble(spec, trained, split, settings, log_dir=folder / "logs")

    sources = [output_dir / "final" / n for n in members]
    row = _combined_result(spec, Optim(), folder, progress, ensemble_them, sources)
    return _after_found(finals, name, row)


def _after_found(
    finals: dict[str, dict[str, Any]], name: str, row: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """``finals`` with ``row`` (a found model built from others) after the found rows."""
    found = [(n, r) for n, r in finals.items() if r.get("kind") == "found"]
    others = [(n, r) for n, r in finals.items() if r.get("kind") != "found"]
    return dict([*found, (name, row), *others])


def _combined_result(
    spec: Model,
    optim: Optim,
    folder: Path,
    progress: SearchProgress | None,
    combine: Callable[[], TrainResult],
    sources: list[Path],
) -> dict[str, Any]:
    """The row of a model ``combine`` builds from the saved retrains in ``sources`` (a blend,
    an ensemble), or of its saved result if it is the same model and no source was saved
    since (a capped retrain continued). A failure is the row's error: the search's other
    results stand."""
    summary = None if _outdated(folder, sources) else _reused(folder, spec, optim, progress)
    if summary is None:
        _ask(folder, spec, optim)
        try:
            result = combine()
        except Exception as error:
            return {"kind": "found", "error": f"{type(error).__name__}: {error}"}
        save_result(result, folder, optim)
        (folder / PROGRESS).unlink(missing_ok=True)
        summary = read_summary(folder)
        if progress is not None:
            progress.ready(folder.name, summary, "built from the saved retrains")
    return final_row("found", summary)


def _outdated(folder: Path, sources: list[Path]) -> bool:
    """Whether a source's result was saved after ``folder``'s (both complete)."""
    saved = folder / SUMMARY
    return saved.is_file() and any(
        (source / SUMMARY).is_file()
        and (source / SUMMARY).stat().st_mtime_ns > saved.stat().st_mtime_ns
        for source in sources
    )


def _reused(
    folder: Path, arch: Model, optim: Optim, progress: SearchProgress | None
) -> dict[str, Any] | None:
    """The saved result in ``folder`` if it was asked for with the same model and recipe."""
    summary = read_summary(folder) if _asked(folder, arch, optim) else None
    if summary is not None and progress is not None:
        progress.reused(folder.name, summary)
    return summary


def _cap_raised(folder: Path, settings: TrainSettings) -> bool:
    """Whether ``folder``'s saved retrain ended at an epoch cap below today's and kept its
    state (:data:`PROGRESS`), so it continues instead of being reused."""
    summary = read_summary(folder) if (folder / PROGRESS).is_file() else None
    cap = settings.trainer.get("max_epochs")
    return (
        summary is not None
        and summary["stop_reason"] == "epoch_cap"
        and cap is not None
        and (cap < 0 or summary["epochs"] < cap)
    )


def _asked(folder: Path, arch: Model, optim: Optim) -> bool:
    """Whether ``folder`` was last asked to train this model with this recipe."""
    # What was asked for: a graph filter's grids train into the pair chosen on validation,
    # so architecture.yaml (what was trained) cannot tell whether the same model was asked.
    asked = folder / REQUEST
    recipe = asked if asked.is_file() else folder / "architecture.yaml"
    return recipe.is_file() and read_recipe(recipe) == (arch.to_dict(), optim.to_dict())


def _ask(folder: Path, arch: Model, optim: Optim) -> None:
    """Record that ``folder`` is now asked for this model. A result and training progress
    saved there for another model are dropped: they would otherwise pass for this one's."""
    if not _asked(folder, arch, optim):
        forget_result(folder)
        (folder / PROGRESS).unlink(missing_ok=True)
    write_recipe(folder / REQUEST, arch, optim)


def _final_result(
    kind: str,
    arch: Model,
    optim: Optim,
    split: Split,
    settings: TrainSettings,
    max_seconds: float | None,
    folder: Path,
    name: str,
    progress: SearchProgress | None,
) -> dict[str, Any]:
    """Train and test one finalist, or reuse its saved result if it is the same model.

    A finalist whose training fails (e.g. diverges at full fidelity) is reported with its
    error instead of ending the search.
    """
    checkpoint = folder / PROGRESS
    summary = None if _cap_raised(folder, settings) else _reused(folder, arch, optim, progress)
    if summary is None:
        _ask(folder, arch, optim)
        monitor = f"val/{settings.eval.monitor}"
        watch = [progress.retrain(name, monitor)] if progress is not None else []
        try:
            start = folder / START_WEIGHTS
            result = fit(
                arch,
                optim,
                split,
                settings,
                max_seconds=max_seconds,
                log_dir=folder / "logs",
                callbacks=watch,
                init_from=start if kind == "found" and start.is_file() else None,
                checkpoint_to=checkpoint,
                resume_from=checkpoint if checkpoint.is_file() else None,
            )
        except Exception as error:  # one finalist, not the whole search
            for line in watch:
                line.done(None, "failed")
            return {"kind": kind, "error": f"{type(error).__name__}: {error}"}
        save_result(result, folder, optim)
        if result.stop_reason != "epoch_cap":
            checkpoint.unlink(missing_ok=True)
        summary = read_summary(folder)
        for line in watch:
            line.done(result.epochs, stop_text(summary))
    return final_row(kind, summary)
