"""The retrained models of a search as the reports read them: one row per ``final/<name>/``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lgnas.training import read_summary

FOUND_PREFIX = "found-"  # found-1, found-2, ...: the search's best points, best first


def final_row(kind: str, summary: Mapping[str, Any]) -> dict[str, Any]:
    """A retrain's row (``kind`` is ``found`` or ``baseline``) from its saved ``metrics.json``."""
    return {
        "kind": kind,
        "test": summary["test"],
        "valid": summary["valid"],
        "parameters": summary["num_parameters"],
        "train_seconds": summary["train_seconds"],
        "epochs": summary.get("epochs"),
        "best_epoch": summary.get("best_epoch"),
        "stop_reason": summary.get("stop_reason"),
        "still_improving": summary.get("still_improving"),
        "fine_tuned": bool(summary.get("inherited")),
    }


def load_finals(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Every complete retrain under ``<run_dir>/final/``, found rows first (by rank), then the
    baselines by name; empty when the search retrained nothing."""
    rows = {}
    folders = sorted((Path(run_dir) / "final").glob("*/"), key=_order)
    for folder in folders:
        summary = read_summary(folder)
        if summary is not None:
            found = folder.name.startswith(FOUND_PREFIX)
            rows[folder.name] = final_row("found" if found else "baseline", summary)
    return rows


def _order(folder: Path) -> tuple[int, int, str]:
    rank = folder.name.removeprefix(FOUND_PREFIX)
    if folder.name.startswith(FOUND_PREFIX) and rank.isdigit():
        return (0, int(rank), "")
    return (1, 0, folder.name)
