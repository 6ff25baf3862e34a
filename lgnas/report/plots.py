"""PNG figures of a search: progress, design-choice importance, quality-cost trade-off.

Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so no GUI backend is
needed and the caller's own backend (a notebook's, say) is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lgnas.report.importance import DimensionImportance
from lgnas.report.trials import TrialRecord
from lgnas.trials import Objective, is_minimised

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lgnas.report.compare import StrategyRun

BEST = "#c2410c"
#: Axis and table labels of the costs in ``search.objectives``.
COST_LABELS = {
    "parameters": "trainable parameters",
    "latency": "latency (ms per 1,000 users)",
    "train_seconds": "train time (s)",
}
TRIAL = "#94a3b8"


def _figure(width: float, height: float, panels: int = 1) -> tuple[Figure, list]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    for ax in axes:
        ax.grid(alpha=0.3)
    return figure, list(axes)


def _save(figure: Figure, path: Path) -> Path:
    figure.savefig(path)
    return path


def plot_progress(trials: Sequence[TrialRecord], path: Path, objective: str) -> Path:
    """Best objective so far against trials (left) and against cumulative trial time (right).

    Every successful trial is a grey dot, so one sees how much the search explored around
    what it kept.
    """
    from matplotlib.ticker import MaxNLocator

    figure, (by_trial, by_time) = _figure(10, 4, panels=2)
    ordered = sorted(trials, key=lambda t: t.id)
    clock = np.cumsum([t.wall_seconds for t in ordered])
    values = np.array([np.nan if t.objective is None else t.objective for t in ordered])
    best = np.fmax.accumulate(np.where(np.isnan(values), -np.inf, values))
    best[np.isinf(best)] = np.nan
    if is_minimised(objective):  # utilities back to the metric's values (LogLoss)
        values, best = -values, -best
    steps = np.arange(1, len(ordered) + 1)
    for ax, x, label in ((by_trial, steps, "trial"), (by_time, clock, "cumulative trial time (s)")):
        ax.scatter(x, values, s=14, color=TRIAL, label="trial", zorder=2)
        ax.step(x, best, where="post", color=BEST, linewidth=2, label="best so far", zorder=3)
        ax.set_xlabel(label)
        ax.set_ylabel(f"validation {objective}")
    by_trial.xaxis.set_major_locator(MaxNLocator(integer=True))
    by_trial.legend(loc="best")
    figure.suptitle(f"Search progress ({len(ordered)} trials)")
    return _save(figure, path)


def plot_importance(
    importance: Sequence[DimensionImportance], path: Path, objective: str, top: int = 15
) -> Path:
    """Horizontal bars of the ``top`` dimensions' variance shares with their 90% bootstrap
    intervals and a tick at the share expected by chance (all of them: importance.csv)."""
    shown = list(importance)[:top][::-1]  # most important on top
    figure, (ax,) = _figure(7, 1.2 + 0.38 * max(len(shown), 1))
    y = np.arange(len(shown))
    share = np.array([d.share for d in shown])
    errors = np.array(
        [[d.share - min(d.low, d.share), max(d.high, d.share) - d.share] for d in shown]
    )
    ax.barh(y, share, color=BEST, alpha=0.85, label="variance share")
    if shown:
        ax.errorbar(share, y, xerr=errors.T, fmt="none", ecolor="black", capsize=3,
                    label="90% bootstrap interval")  # fmt: skip
        ax.scatter([d.chance for d in shown], y, marker="|", s=200, color="#1e3a8a",
                   label="chance level", zorder=3)  # fmt: skip
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(y, [d.name for d in shown])
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of validation {objective} variance explained")
    more = f" (top {top}; all in importance.csv)" if len(importance) > top else ""
    ax.set_title(f"Design-choice importance{more}")
    return _save(figure, path)


def plot_pareto(
    trials: Sequence[TrialRecord],
    front: Sequence[TrialRecord],
    path: Path,
    objective: str,
    costs: Sequence[Objective] = (),
) -> Path:
    """Validation objective against each cost (log scale), one panel per cost.

    Each panel draws that cost's own two-objective front as a staircase; with several costs
    the members of the full Pareto set (``front``) are ringed, since a model can be on the
    set by being cheap in another panel's cost.
    """
    from matplotlib.ticker import EngFormatter, LogLocator, NullFormatter

    from lgnas.report.pareto import PARAMETERS, pareto_front

    costs = list(costs) or [PARAMETERS]
    figure, axes = _figure(6 * len(costs), 4.5, panels=len(costs))
    quality = Objective(objective)
    for ax, cost in zip(axes, costs):
        done = [t for t in trials if t.ok and cost.value(t) is not None]
        ax.scatter([cost.value(t) for t in done], [quality.value(t) for t in done], s=16,
                   color=TRIAL, label="trial")  # fmt: skip
        staircase = pareto_front(done, (quality, cost))
        if staircase:
            ax.step([cost.value(t) for t in staircase], [quality.value(t) for t in staircase],
                    where="post", color=BEST, linewidth=2, marker="o",
                    label=f"front: {objective} vs {cost.name}")  # fmt: skip
        if len(costs) > 1 and front:
            ax.scatter([cost.value(t) for t in front], [quality.value(t) for t in front], s=90,
                       facecolors="none", edgecolors="#1e3a8a", linewidths=1.5,
                       label="Pareto set (all costs)", zorder=3)  # fmt: skip
        for t in front if len(costs) > 1 else staircase:
            ax.annotate(f"#{t.id}", (cost.value(t), quality.value(t)), textcoords="offset points",
                        xytext=(4, -10), fontsize=7)  # fmt: skip
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(EngFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(COST_LABELS.get(cost.name, cost.name))
        ax.set_ylabel(f"validation {objective}")
        ax.legend(loc="best", fontsize=8)
    figure.suptitle("Quality vs cost")
    return _save(figure, path)


def plot_strategy_progress(runs: Sequence[StrategyRun], path: Path) -> Path:
    """Best validation objective so far against trials: per strategy the mean over seeds, with
    a band of ± one standard deviation; one panel per dataset."""
    from matplotlib.ticker import MaxNLocator

    datasets = sorted({r.dataset for r in runs})
    figure, axes = _figure(6 * len(datasets), 4.2, panels=len(datasets))
    strategies = sorted({r.strategy for r in runs})
    colours = dict(zip(strategies, _palette()))
    # Curves often coincide (strategies that start from random points): dashes keep both seen.
    dashes = dict(zip(strategies, ["-", "--", ":", "-."] * 8))
    for ax, dataset in zip(axes, datasets):
        for strategy, colour in colours.items():
            group = [r.best_so_far for r in runs if (r.dataset, r.strategy) == (dataset, strategy)]
            if not group:
                continue
            length = max(len(g) for g in group)
            # A run that stopped early keeps its final best for the trials it did not run.
            curves = np.array([list(g) + [g[-1]] * (length - len(g)) for g in group if g])
            x = np.arange(1, length + 1)
            mean, std = np.nanmean(curves, 0), np.nanstd(curves, 0)
            label = f"{strategy} ({len(curves)} seeds)"
            ax.step(x, mean, dashes[strategy], where="post", color=colour, lw=2, label=label)
            ax.fill_between(x, mean - std, mean + std, step="post", color=colour, alpha=0.2)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("trial")
        ax.set_ylabel(f"best validation {runs[0].objective} so far")
        ax.set_title(dataset)
        ax.legend(loc="lower right")
    figure.suptitle("Strategies: mean ± std over seeds")
    return _save(figure, path)


def _palette() -> list[str]:
    return ["#c2410c", "#1d4ed8", "#15803d", "#7e22ce", "#b45309", "#0f766e", "#be123c"] * 4
