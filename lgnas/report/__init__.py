"""What a search leaves behind: leaderboard, best architecture, final comparison report."""

from __future__ import annotations

from lgnas.report.write import write_best_architecture, write_leaderboard, write_report

__all__ = ["write_best_architecture", "write_leaderboard", "write_report"]
