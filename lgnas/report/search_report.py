"""Everything a finished search writes for people: leaderboard, report and analysis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lgnas.models.blend import FAMILY as BLEND
from lgnas.models.ensemble import FAMILY as ENSEMBLE
from lgnas.report.analysis import write_search_analysis
from lgnas.report.architecture import architecture_text, blend_text, plot_architecture
from lgnas.report.write import write_leaderboard, write_report
from lgnas.trials import Candidate, TrialResult


def write_search_reports(
    output_dir: Path,
    *,
    title: str,
    trials: Sequence[tuple[Candidate, TrialResult]],
    finals: dict[str, dict[str, Any]],
    objective: str,
    objectives: Sequence[str],
    also: Sequence[str] = ("recall@20",),
    notes: Sequence[str] = (),
    verdict: Sequence[str] = (),
    recipe: tuple[Mapping[str, Any], Mapping[str, Any]] | None = None,
) -> None:
    """``leaderboard.csv``, ``report.md`` and the analysis files (figures, CSVs) of a search.

    Args:
        trials: Every trial of the search, in order.
        finals: The retrained finalists and baselines (see :func:`write_report`).
        objective: The validation metric searched (``ndcg@20``).
        objectives: ``search.objectives`` specs (the objective alone when single).
        also: Test metrics shown after the objective in the report's table.
        notes: Lines closing ``report.md``.
        verdict: Lines opening ``report.md`` (:func:`lgnas.report.verdict.verdict_lines`).
        recipe: The best found architecture's ``arch`` and ``optim``: drawn in
            ``architecture.png`` and written out in ``report.md``.
    """
    write_leaderboard(list(trials), output_dir / "leaderboard.csv", objective)
    write_report(
        output_dir / "report.md",
        title=title,
        finals=finals,
        metrics=[objective, *also],
        notes=notes,
        verdict=verdict,
    )
    if recipe is not None:
        write_architecture(output_dir, *recipe)
    write_search_analysis(output_dir, objective, list(objectives))


def write_architecture(output_dir: Path, arch: Mapping[str, Any], optim: Mapping[str, Any]) -> None:
    """``architecture.png`` and a "Found architecture" section in ``report.md``; an
    ensemble's heaviest member is drawn, and every member written out with its weight."""
    if arch.get("family") == ENSEMBLE:
        weights, members = arch["weight"], arch["members"]
        heaviest = members[max(range(len(weights)), key=lambda n: weights[n])]
        plot_architecture(heaviest["arch"], output_dir / "architecture.png", title="found")
        text = ["ensemble: the weighted mean of these models' click logits (weights chosen on"]
        text += ["validation); the heaviest is drawn"]
        for n, (member, weight) in enumerate(zip(members, weights), 1):
            text += ["", f"{member.get('name', f'member {n}')}, weight {weight:.2f}:"]
            text += architecture_text(member["arch"], member.get("optim"))
    else:
        blended = arch.get("family") == BLEND
        base = arch["base"] if blended else arch
        plot_architecture(base, output_dir / "architecture.png", title="found")
        text = architecture_text(base, optim) + (blend_text(arch) if blended else [])
    lines = ["", "## Found architecture", "", "```text", *text, "```"]
    lines += ["", "Drawn in `architecture.png`; the recipe to train it: `best_architecture.yaml`."]
    with (output_dir / "report.md").open("a", encoding="utf-8") as report:
        report.write("\n".join(lines) + "\n")
