"""What a finished search's journal says beyond the leaderboard: importance, trade-off, figures.

One call at the end of a search (and usable on any run directory afterwards) writes
``importance.csv``, ``marginals.csv``, ``progress.png``, ``importance.png``, ``pareto.png``,
``trials/index.csv`` (when trials logged) and appends the matching sections to ``report.md``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from lgnas.report.importance import DimensionImportance, design_importance
from lgnas.report.pareto import costs_of, pareto_front, report_objectives, within_budget
from lgnas.report.plots import COST_LABELS, plot_importance, plot_pareto, plot_progress
from lgnas.report.trials import TrialRecord, comparable, read_trials
from lgnas.trials import Objective, is_minimised, metric_utility, trial_folder

FIGURES = {
    "progress.png": "best validation objective so far vs trials and vs cumulative trial time",
    "importance.png": "share of the objective's variance each design choice explains",
    "pareto.png": "validation objective vs each cost of the search, with the Pareto set",
}


def write_search_analysis(
    run_dir: str | Path, objective: str, objectives: Sequence[str] | None = None
) -> list[Path]:
    """Analyse ``run_dir/journal.jsonl``; returns the files written.

    Importance and the Pareto front use only trials at the highest fidelity present (see
    :func:`lgnas.report.trials.comparable`); the progress plot shows every trial. The Pareto
    set trades ``objective`` against the costs of ``objectives`` (``search.objectives``;
    default: those the journal's header records, else trainable parameters).
    """
    run_dir = Path(run_dir)
    journal = run_dir / "journal.jsonl"
    trials = read_trials(journal)
    scored = comparable(trials)
    importance = design_importance(scored)
    chosen = report_objectives(objective, objectives or _journal_objectives(journal))
    front = pareto_front(scored, chosen)
    written = [
        write_importance_csv(importance, run_dir / "importance.csv"),
        write_marginals_csv(importance, run_dir / "marginals.csv", objective),
        plot_progress(trials, run_dir / "progress.png", objective),
        plot_importance(importance, run_dir / "importance.png", objective),
        plot_pareto(scored, front, run_dir / "pareto.png", objective, costs_of(chosen)),
    ]
    if (run_dir / "trials").is_dir():
        written.append(write_trial_index(trials, run_dir / "trials" / "index.csv", objective))
    sections = [
        *importance_section(importance, len(scored), objective),
        *stage_sections(scored, objective),
        *pareto_section(front, objective, costs_of(chosen)),
        "## Figures",
        "",
        *(f"- `{name}`: {what}" for name, what in FIGURES.items()),
    ]
    with (run_dir / "report.md").open("a", encoding="utf-8") as report:
        report.write("\n" + "\n".join(sections) + "\n")
    return written


def write_importance_csv(importance: Sequence[DimensionImportance], path: Path) -> Path:
    """One row per dimension, most important first (columns as in the report table)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["rank", "dimension", "share", "ci_low", "ci_high", "chance", "excess", "best_level"]
        )
        for rank, d in enumerate(importance, 1):
            writer.writerow(
                [
                    rank,
                    d.name,
                    *(f"{v:.4f}" for v in (d.share, d.low, d.high, d.chance, d.excess)),
                    d.levels[0].level,
                ]  # fmt: skip
            )
    return path


def write_trial_index(
    trials: Sequence[TrialRecord], path: Path, objective: str = "ndcg@20"
) -> Path:
    """Which ``trials/<folder>/`` holds the training logs of each trial id, with its
    validation ``objective``."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trial", "folder", "objective"])
        for t in trials:
            value = "" if t.objective is None else f"{metric_utility(objective, t.objective):.6f}"
            writer.writerow([t.id, trial_folder(t.point, t.fidelity), value])
    return path


def write_marginals_csv(
    importance: Sequence[DimensionImportance], path: Path, objective: str = "ndcg@20"
) -> Path:
    """Mean objective per level of every dimension, with 90% bootstrap intervals."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dimension", "level", "trials", "mean", "ci_low", "ci_high"])
        for d in importance:
            for m in d.levels:
                writer.writerow(
                    [
                        d.name,
                        m.level,
                        m.count,
                        *(f"{v:.4f}" for v in shown_interval(objective, m.mean, m.low, m.high)),
                    ]
                )
    return path


def importance_section(
    importance: Sequence[DimensionImportance],
    trials: int,
    objective: str,
    heading: str = "## Design-choice importance",
    top: int | None = None,
) -> list[str]:
    """Markdown: the importance table under ``heading``, or why there is none. The whole
    table comes with the method explained; a ``top``-row table (a stage's) refers to it."""
    lines = [heading, ""]
    if not importance:
        return [*lines, f"Not estimated: {trials} comparable successful trials (at least 4 with "
                "differing objectives are needed).", ""]  # fmt: skip
    if top is None:
        lines += [
            f"Share of the variance of validation {objective} over {trials} trials that each "
            "dimension's level explains on its own (eta², a first-order main effect), with a "
            "90% bootstrap interval over trials and the share expected by chance; ranked by "
            "share beyond chance. Adaptive strategies sample good regions more, so these "
            "describe the trials run, not the whole space. Per-level means: `marginals.csv`.",
            "",
        ]
    else:
        shown = min(top, len(importance))
        lines += [f"Over {trials} trials, as above; the first {shown} of {len(importance)}.", ""]
    lines += [
        "| rank | dimension | share | 90% CI | chance | best level (mean [90% CI], trials) |",
        "|---|---|---|---|---|---|",
    ]
    for rank, d in enumerate(importance[:top], 1):
        best = d.levels[0]
        mean, low, high = shown_interval(objective, best.mean, best.low, best.high)
        lines.append(
            f"| {rank} | {d.name} | {d.share:.3f} | [{d.low:.3f}, {d.high:.3f}] | "
            f"{d.chance:.3f} | {best.level} ({mean:.4f} [{low:.4f}, {high:.4f}], "
            f"{best.count}) |"
        )
    return [*lines, ""]


STAGE_ROWS = 5
"""Rows of each per-stage importance table (the dimensions that matter most there)."""


def stage_sections(scored: Sequence[TrialRecord], objective: str) -> list[str]:
    """A staged search's importance per stage: which macro choices mattered among stage 1's
    trials, then which cell choices within each of stage 2's layer searches (one layer of
    one parent, every other gene fixed); nothing for a search without stages."""
    groups: dict[tuple[int, int, int], list[TrialRecord]] = {}
    for trial in scored:
        if trial.stage is not None:
            key = (trial.stage, trial.parent or 0, trial.layer or 0)
            groups.setdefault(key, []).append(trial)
    lines = []
    for (stage, parent, layer), trials in sorted(
        groups.items(), key=lambda g: min(t.id for t in g[1])
    ):
        name = (
            "stage 1, macro choices" if stage == 1 else f"stage 2, layer {layer} of trial {parent}"
        )
        heading = f"### Design-choice importance: {name}"
        ranked = design_importance(trials)
        lines += importance_section(ranked, len(trials), objective, heading, top=STAGE_ROWS)
    return lines


def pareto_section(
    front: Sequence[TrialRecord], objective: str, costs: Sequence[Objective] = ()
) -> list[str]:
    """Markdown: the Pareto set of objective vs ``costs`` (default: parameters), and for each
    cost whether a model within 2% of the best has at most half of it."""
    costs = list(costs) or costs_of(report_objectives(objective, None))
    names = ", ".join(COST_LABELS.get(c.name, c.name) for c in costs)
    lines = [f"## Pareto set: validation objective vs {names}", ""]
    if not front:
        return [*lines, f"No successful trial recorded its {names}.", ""]
    header = ["trial", objective, *(COST_LABELS.get(c.name, c.name) for c in costs), "point"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for t in front:
        values = " | ".join(f"{c.value(t):.4g}" for c in costs)
        shown = metric_utility(objective, t.objective)
        lines.append(f"| {t.id} | {shown:.4f} | {values} | `{_point(t)}` |")
    best = max(front, key=lambda t: t.objective)
    best_value = metric_utility(objective, best.objective)
    lines.append("")
    for cost in costs:
        label = COST_LABELS.get(cost.name, cost.name)
        small = within_budget(front, cost=cost)
        lines.append(
            f"- {label}: trial {small[0].id} is within 2% of the best {objective} "
            f"({best_value:.4f}, trial {best.id}) with "
            f"{cost.value(small[0]) / cost.value(best):.0%} of its {label}."
            if small
            else f"- {label}: no trial is within 2% of the best {objective} "
            f"({best_value:.4f}, trial {best.id}) with at most half its {label}."
        )
    return [*lines, ""]


def shown_interval(objective: str, mean: float, low: float, high: float) -> tuple[float, ...]:
    """A mean and interval of utilities as the metric's own values: LogLoss is analysed
    negated, so that higher is better everywhere, but shown as LogLoss."""
    if not is_minimised(objective):
        return mean, low, high
    return -mean, -high, -low


def _journal_objectives(journal: Path) -> list[str] | None:
    """``search.objectives`` as the journal's header records it (multi-objective runs)."""
    with journal.open(encoding="utf-8") as handle:
        first = handle.readline()
    try:
        return json.loads(first).get("objectives")
    except (json.JSONDecodeError, AttributeError):
        return None


def _point(trial: TrialRecord) -> str:
    def shown(value: object) -> str:
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    return ", ".join(f"{k}={shown(v)}" for k, v in trial.point.items())
