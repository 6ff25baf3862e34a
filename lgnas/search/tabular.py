"""Tabular benchmark: every point of a small space evaluated once, then looked up, not trained.

With a table, a strategy's whole search costs milliseconds, so strategies can be compared
over many seeds (``scripts/compare_strategies_tabular.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.trials import Point, TrialResult


class TabularEvaluator:
    """Answers trials from a stored table instead of training.

    Args:
        path: JSON-lines table written by ``scripts/build_tabular_benchmark.py``.
        space: The space the table enumerates; points are matched by ``space.key``.
    """

    def __init__(self, path: str | Path, space: SearchSpace) -> None:
        self.space = space
        self.rows: dict[str, dict[str, Any]] = {}
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            self.rows[row["key"]] = row
        if not self.rows:
            raise ConfigError(f"tabular benchmark {path} holds no rows")

    def __call__(self, point: Point, fidelity: int | None = None) -> TrialResult:
        key = self.space.key(point)
        if key not in self.rows:
            raise ConfigError(
                f"point {key} is not in the tabular benchmark; was it built for this space?"
            )
        row = self.rows[key]
        return TrialResult(
            objective=row["objective"],
            status=row["status"],
            metrics=row.get("metrics", {}),
            cost=row.get("cost", {}),
            error=row.get("error"),
            fidelity=row.get("fidelity"),
        )

    def ranking(self) -> list[float]:
        """Objectives of all successful points, best first."""
        return sorted(
            (r["objective"] for r in self.rows.values() if r["objective"] is not None), reverse=True
        )
