"""Files a finished search writes into its run directory."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lgnas.trials import Candidate, TrialResult


def write_leaderboard(
    trials: Sequence[tuple[Candidate, TrialResult]], path: Path, objective: str
) -> None:
    """Every trial as a CSV row, best objective first, failed trials last with their error."""
    ranked = sorted(trials, key=lambda t: (not t[1].ok, -(t[1].objective or 0.0), t[0].id))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "rank",
                "trial",
                objective,
                "status",
                "parameters",
                "seconds",
                "epochs",
                "point",
                "error",
            ]
        )
        for rank, (candidate, result) in enumerate(ranked, 1):
            writer.writerow(
                [
                    rank,
                    candidate.id,
                    "" if result.objective is None else f"{result.objective:.6f}",
                    result.status,
                    int(result.cost.get("parameters", 0)),
                    f"{result.cost.get('seconds', 0.0):.2f}",
                    int(result.cost.get("epochs", 0)),
                    json.dumps(candidate.point, sort_keys=True),
                    result.error or "",
                ]
            )


def write_report(
    path: Path,
    *,
    title: str,
    finals: dict[str, dict[str, Any]],
    metrics: Sequence[str],
    notes: Sequence[str] = (),
) -> None:
    """``report.md``: test metrics of the found architectures next to the baselines.

    Args:
        finals: Per model name, ``{"test": {...}, "valid": {...}, "parameters": int,
            "train_seconds": float, "kind": "found" | "baseline"}``.
        metrics: Metric names (``ndcg@20``) shown as columns.
    """
    lines = [
        f"# {title}",
        "",
        "Test metrics after retraining at full fidelity (train split, "
        "early-stopped on validation, tested once).",
        "",
    ]
    header = ["model", "kind", *metrics, "parameters", "train s"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    failed = {name: f for name, f in finals.items() if "error" in f}
    finals = {name: f for name, f in finals.items() if "error" not in f}
    best_baseline = max(
        (f["test"][f"test/{metrics[0]}"] for f in finals.values() if f["kind"] == "baseline"),
        default=None,
    )
    for name, final in finals.items():
        values = [f"{final['test'].get(f'test/{m}', float('nan')):.4f}" for m in metrics]
        lines.append(
            f"| {name} | {final['kind']} | "
            + " | ".join(values)
            + f" | {final['parameters']} | {final['train_seconds']:.1f} |"
        )
    found = [f for f in finals.values() if f["kind"] == "found"]
    if found and best_baseline:
        gain = found[0]["test"][f"test/{metrics[0]}"] / best_baseline - 1.0
        lines += ["", f"Best found vs best baseline on test {metrics[0]}: {gain:+.1%}."]
    lines += [f"- {name} ({f['kind']}) failed: {f['error']}" for name, f in failed.items()]
    lines += ["", *notes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
