"""Strategies compared over seeds, from the run directories of a Hydra multirun.

Each run is recognised by its ``journal.jsonl``; its dataset, strategy and seed come from
the journal's header, so the folder layout (``multirun/search/<dataset>/<strategy>/seed<N>/``
by default) does not matter.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lgnas.errors import ConfigError
from lgnas.report.trials import comparable, read_trials

FINAL = "found-1"  # the best found architecture's full-fidelity retrain
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
    return sorted(runs, key=lambda r: (r.dataset, r.strategy, r.seed))


def _run(journal: Path) -> StrategyRun:
    with journal.open(encoding="utf-8") as handle:
        header = json.loads(handle.readline())
    trials = read_trials(journal)
    # With several fidelities only the highest is comparable across strategies.
    scored = {t.id for t in comparable(trials)}
    values = [t.objective if t.id in scored else -math.inf for t in trials]
    best = np.maximum.accumulate(values) if values else np.array([])
    metrics = journal.parent / "final" / FINAL / "metrics.json"
    test = json.loads(metrics.read_text())["test"] if metrics.is_file() else {}
    return StrategyRun(
        path=journal.parent,
        dataset=str((header.get("dataset") or {}).get("name", "?")),
        strategy=str((header.get("strategy") or {}).get("name", "?")),
        seed=int(header.get("seed", -1)),
        objective=str(header.get("objective", "objective")),
        best_so_far=tuple(float(v) if math.isfinite(v) else math.nan for v in best),
        trial_seconds=sum(t.seconds for t in trials),
        test={k.removeprefix("test/"): float(v) for k, v in test.items()},
    )


def _mean_std(values: Sequence[float], digits: int = 4) -> str:
    """``mean ± std`` over seeds (sample std); a lone value alone, ``—`` for none."""
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def strategy_table(runs: Sequence[StrategyRun]) -> list[dict[str, str]]:
    """Per dataset and strategy: seeds, and mean ± standard deviation over seeds of the best
    validation objective, the final test metrics and the trial time."""
    groups: dict[tuple[str, str], list[StrategyRun]] = {}
    for run in runs:
        groups.setdefault((run.dataset, run.strategy), []).append(run)
    rows = []
    for (dataset, strategy), group in groups.items():
        row = {
            "dataset": dataset,
            "strategy": strategy,
            "seeds": " ".join(str(r.seed) for r in group),
            f"best valid {group[0].objective}": _mean_std([r.best for r in group]),
        }
        for metric in TEST_METRICS:
            row[f"test {metric}"] = _mean_std([r.test.get(metric, math.nan) for r in group])
        row["trial seconds"] = _mean_std([r.trial_seconds for r in group], digits=1)
        rows.append(row)
    return rows


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
