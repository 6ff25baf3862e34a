"""Strategies compared over seeds, from the run directories of a Hydra multirun.

Each run is recognised by its ``journal.jsonl``; its dataset, strategy and seed come from
the journal's header, so the folder layout (``multirun/search/<dataset>/<strategy>/seed<N>/``
by default) does not matter.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from lgnas.errors import ConfigError
from lgnas.report.finals import answer_name, load_finals
from lgnas.report.plots import plot_strategy_progress
from lgnas.report.trials import comparable, read_trials
from lgnas.report.write import Comparison, compare_finals

TEST_METRICS = ("ndcg@20", "recall@20")


@dataclass(frozen=True)
class StrategyRun:
    """One search of a multirun: who ran it, how it went, how its best model tested."""

    path: Path
    dataset: str
    strategy: str
    seed: int
    objective: str
    best_so_far: tuple[float, ...]  # best validation objective after each trial
    trial_seconds: float
    test: dict[str, float] = field(default_factory=dict)  # final test metrics, if retrained
    comparison: Comparison | None = None  # the answer vs the best baseline, if any was retrained
    variant: str = ""  # the overrides that set this run apart from the others compared

    @property
    def best(self) -> float:
        """The best validation objective the search found (NaN if every trial failed)."""
        return self.best_so_far[-1] if self.best_so_far else math.nan


def collect_runs(root: str | Path) -> list[StrategyRun]:
    """Every search run under ``root``, sorted by dataset, strategy and seed.

    Raises:
        ConfigError: ``root`` is missing or holds no ``journal.jsonl``.
    """
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"multirun directory {root} does not exist")
    journals = sorted(root.rglob("journal.jsonl"))
    if not journals:
        raise ConfigError(
            f"no journal.jsonl under {root}; pass the sweep directory of "
            "`python -m lgnas -m ...` (e.g. multirun/search/ml100k)"
        )
    runs = [_run(journal) for journal in journals]
    overrides = [_overrides(run.path) for run in runs]
    shared = set.intersection(*map(set, overrides))
    runs = [
        dataclasses.replace(run, variant=" ".join(o for o in mine if o not in shared))
        for run, mine in zip(runs, overrides, strict=True)
    ]
    return sorted(runs, key=lambda r: (r.dataset, r.strategy, r.variant, r.seed))


def _run(journal: Path) -> StrategyRun:
    with journal.open(encoding="utf-8") as handle:
        header = json.loads(handle.readline())
    trials = read_trials(journal)
    # With several fidelities only the highest is comparable across strategies.
    scored = {t.id for t in comparable(trials)}
    values = [t.objective if t.id in scored else -math.inf for t in trials]
    best = np.maximum.accumulate(values) if values else np.array([])
    objective = str(header.get("objective", "objective"))
    finals = load_finals(journal.parent, objective)
    answer = answer_name(finals)
    test = finals[answer]["test"] if answer else {}
    return StrategyRun(
        path=journal.parent,
        dataset=str((header.get("dataset") or {}).get("name", "?")),
        strategy=str((header.get("strategy") or {}).get("name", "?")),
        seed=int(header.get("seed", -1)),
        objective=objective,
        best_so_far=tuple(float(v) if math.isfinite(v) else math.nan for v in best),
        trial_seconds=sum(t.seconds for t in trials),
        test={k.removeprefix("test/"): float(v) for k, v in test.items()},
        comparison=compare_finals(finals, objective) if finals else None,
    )


NOT_A_VARIANT = ("seed=", "+strategy=", "strategy=", "hydra.", "data_dir=")
"""Overrides that do not make runs different experiments (seeds of one are averaged)."""


def _overrides(run_dir: Path) -> list[str]:
    """The run's Hydra overrides (``.hydra/overrides.yaml``) that could make it another
    experiment, sorted."""
    path = run_dir / ".hydra" / "overrides.yaml"
    overrides = yaml.safe_load(path.read_text()) if path.is_file() else None
    return sorted(str(o) for o in overrides or [] if not str(o).startswith(NOT_A_VARIANT))


def _mean_std(values: Sequence[float], digits: int = 4) -> str:
    """``mean ± std`` over seeds (sample std); a lone value alone, ``—`` for none."""
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def _groups(runs: Sequence[StrategyRun]) -> dict[tuple[str, str, str], list[StrategyRun]]:
    """The runs that differ only by seed, per dataset, strategy and variant."""
    groups: dict[tuple[str, str, str], list[StrategyRun]] = {}
    for run in runs:
        groups.setdefault((run.dataset, run.strategy, run.variant), []).append(run)
    return groups


def strategy_table(runs: Sequence[StrategyRun]) -> list[dict[str, str]]:
    """Per dataset, strategy (and variant, when runs differ in other overrides): seeds, and
    mean ± standard deviation over seeds of the best validation objective, the final test
    metrics, the gain over the best baseline and the trial time."""
    variants = any(run.variant for run in runs)
    rows = []
    for (dataset, strategy, variant), group in _groups(runs).items():
        row = {"dataset": dataset, "strategy": strategy}
        if variants:
            row["variant"] = variant or "—"
        row["seeds"] = " ".join(str(r.seed) for r in group)
        row[f"best valid {group[0].objective}"] = _mean_std([r.best for r in group])
        for metric in TEST_METRICS:
            row[f"test {metric}"] = _mean_std([r.test.get(metric, math.nan) for r in group])
        row["gain vs best baseline"] = _gain_text(group)
        row["trial seconds"] = _mean_std([r.trial_seconds for r in group], digits=1)
        rows.append(row)
    return rows


def _gains(group: Sequence[StrategyRun]) -> list[float]:
    return [r.comparison.gain for r in group if r.comparison and r.comparison.gain is not None]


def _gain_text(group: Sequence[StrategyRun]) -> str:
    """``mean ± std`` of the valid seeds' gains in percent, with how many seeds that is."""
    gains = _gains(group)
    if not gains:
        return "—"
    text = _percent(gains)
    return text if len(gains) == len(group) else f"{text} ({len(gains)} of {len(group)} seeds)"


def _percent(gains: Sequence[float]) -> str:
    if len(gains) == 1:
        return f"{100 * gains[0]:+.1f}%"
    return f"{100 * statistics.mean(gains):+.1f}% ± {100 * statistics.stdev(gains):.1f}%"


def gain_lines(runs: Sequence[StrategyRun]) -> list[str]:
    """One line per group of seeds: the best found vs the best baseline on the test
    objective, mean ± std over the seeds whose comparison is valid, each seed's gain, and
    why any seed's comparison is not (the reports' :func:`compare_finals` rules)."""
    lines = []
    for (dataset, strategy, variant), group in _groups(runs).items():
        compared = [r for r in group if r.comparison is not None]
        if not compared:
            continue
        label = f"{strategy} on {dataset}" + (f" ({variant})" if variant else "")
        gains = _gains(compared)
        metric = compared[0].comparison.metric
        seeds = ", ".join(
            f"seed {r.seed} {100 * r.comparison.gain:+.1f}%"
            for r in compared
            if r.comparison.gain is not None
        )
        if gains:
            line = (
                f"{label}: best found vs best baseline on test {metric}: {_percent(gains)} "
                f"over {len(gains)} seed{'s' if len(gains) > 1 else ''} ({seeds})"
            )
        else:
            line = f"{label}: no gain is claimed on test {metric}"
        invalid = [r for r in compared if r.comparison.gain is None]
        if invalid:
            line += "; not compared: " + "; ".join(
                f"seed {r.seed}: {r.comparison.why_not}" for r in invalid
            )
        lines.append(line if line.endswith(".") else line + ".")
    return lines


def summarise(root: str | Path, out: str | Path | None = None) -> list[str]:
    """Compare the runs under ``root`` and write ``strategies.md``, ``strategies.csv`` and
    ``strategies.png`` into ``out`` (default ``root``).

    Returns:
        The lines to show: the table, the gain lines and where the files are.

    Raises:
        ConfigError: ``root`` is missing or holds no run.
    """
    runs = collect_runs(root)
    out = Path(out or root)
    out.mkdir(parents=True, exist_ok=True)
    rows = strategy_table(runs)
    table = markdown_table(rows)
    gains = gain_lines(runs)
    text = f"{len(runs)} runs under {root}\n\n{table}\n"
    if gains:
        text += "\n" + "\n".join(f"- {line}" for line in gains) + "\n"
    (out / "strategies.md").write_text(text)
    write_csv(rows, out / "strategies.csv")
    plot_strategy_progress(runs, out / "strategies.png")
    return [table, "", *gains, f"written: {out / 'strategies.md'}, strategies.csv, strategies.png"]


def markdown_table(rows: Sequence[dict[str, str]]) -> str:
    """Rows with the same keys as a Markdown table."""
    if not rows:
        return ""
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row[key] for key in header) + " |" for row in rows]
    return "\n".join(lines)


def write_csv(rows: Sequence[dict[str, str]], path: Path) -> Path:
    """Rows as CSV (the table's text cells, ``mean ± std`` included)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path
