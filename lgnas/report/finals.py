"""The retrained models of a search as the reports read them: one row per ``final/<name>/``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lgnas.training import read_summary
from lgnas.trials import metric_utility

FOUND_PREFIX = "found-"  # found-1, found-2, ...: the search's best points, best first
PROPAGATED = "-propagated"
"""Suffix of a found model retrained on LightGCN layers (``found-1-propagated``)."""
BLENDED = "-blended"
"""Suffix of the answer blended with a graph filter (``found-1-blended``)."""
ENSEMBLE = "ensemble"
"""``found-ensemble``: the retrained found models averaged (click-through)."""


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


def answer_name(finals: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The first found row's name: the answer, in ``finals`` ordered by :func:`answer_first`."""
    return next((name for name, row in finals.items() if row.get("kind") == "found"), None)


def answer_first(finals: Mapping[str, Mapping[str, Any]], objective: str) -> dict[str, Any]:
    """``finals`` with the search's answer first: of the found rows that trained, the one with
    the best validation ``objective`` after retraining (ties: the earlier row). The rest keep
    their order."""
    key = f"val/{objective}"
    scored = [
        name
        for name, row in finals.items()
        if row.get("kind") == "found" and "error" not in row and key in row.get("valid", {})
    ]
    if not scored:
        return dict(finals)
    answer = max(scored, key=lambda name: metric_utility(key, finals[name]["valid"][key]))
    return {answer: finals[answer], **{n: row for n, row in finals.items() if n != answer}}


def answer_note(finals: Mapping[str, Mapping[str, Any]], objective: str) -> list[str]:
    """One line naming the answer among several retrained found models, with each one's
    validation ``objective``; none for a single found model."""
    key = f"val/{objective}"
    found = [
        (name, row["valid"][key])
        for name, row in finals.items()
        if row.get("kind") == "found" and key in row.get("valid", {})
    ]
    if len(found) < 2:
        return []
    scores = ", ".join(f"{name} {value:.4f}" for name, value in found)
    return [
        f"The answer is {found[0][0]}, of the retrained found models the best on validation "
        f"{objective} ({scores})."
    ]


def load_finals(run_dir: str | Path, objective: str | None = None) -> dict[str, dict[str, Any]]:
    """Every complete retrain under ``<run_dir>/final/``, found rows first (by rank), then the
    baselines by name; empty when the search retrained nothing. With the search's
    ``objective``, its answer comes first (:func:`answer_first`)."""
    rows = {}
    folders = sorted((Path(run_dir) / "final").glob("*/"), key=_order)
    for folder in folders:
        summary = read_summary(folder)
        if summary is not None:
            found = folder.name.startswith(FOUND_PREFIX)
            rows[folder.name] = final_row("found" if found else "baseline", summary)
    return rows if objective is None else answer_first(rows, objective)


def _order(folder: Path) -> tuple[int, int, str]:
    rank, _, suffix = folder.name.removeprefix(FOUND_PREFIX).partition("-")
    if folder.name.startswith(FOUND_PREFIX) and rank.isdigit():
        return (0, int(rank), suffix)
    if folder.name == FOUND_PREFIX + ENSEMBLE:  # after the found models it averages
        return (0, 1 << 30, "")
    return (1, 0, folder.name)
