"""Everything a finished search writes for people: leaderboard, report and analysis."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lgnas.report.analysis import write_search_analysis
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
    write_search_analysis(output_dir, objective, list(objectives))
