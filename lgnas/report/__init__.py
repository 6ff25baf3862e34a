"""What a search leaves behind: leaderboard, best architecture, report, analysis and figures."""

from __future__ import annotations

from lgnas.report.analysis import write_search_analysis
from lgnas.report.verdict import describe_model, verdict_lines
from lgnas.report.write import write_leaderboard, write_report

__all__ = [
    "describe_model",
    "verdict_lines",
    "write_leaderboard",
    "write_report",
    "write_search_analysis",
]
