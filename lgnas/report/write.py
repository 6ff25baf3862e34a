"""Files a finished search writes into its run directory."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lgnas.trials import Candidate, TrialResult, is_minimised, metric_utility


def write_leaderboard(
    trials: Sequence[tuple[Candidate, TrialResult]], path: Path, objective: str
) -> None:
    """Every trial as a CSV row, best objective first, failed trials last with their error.

    The ``objective`` column holds the metric's value (a trial's objective is its utility,
    negated for a minimised metric such as ``logloss``)."""
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
                    ""
                    if result.objective is None
                    else f"{metric_utility(objective, result.objective):.6f}",
                    result.status,
                    int(result.cost.get("parameters", 0)),
                    f"{result.cost.get('seconds', 0.0):.2f}",
                    int(result.cost.get("epochs", 0)),
                    json.dumps(candidate.point, sort_keys=True),
                    result.error or "",
                ]
            )


STOP_TEXT = {
    "early_stop": "early stop",
    "epoch_cap": "epoch cap",
    "time_limit": "time limit",
    "closed_form": "closed form",
    "ensemble": "ensemble of trained models",
}
"""How a report names each :data:`lgnas.training.result.StopReason`."""


def stop_text(final: Mapping[str, Any]) -> str:
    """Why a retrain stopped, for people: ``early stop``, ``epoch cap``, ``epoch cap (still
    improving)`` or ``time limit``; ``unknown`` for a result saved before stop reasons were
    recorded. A retrain that continued its trial's weights says so."""
    reason = final.get("stop_reason")
    if reason is None:
        return "unknown"
    text = STOP_TEXT.get(reason, str(reason))
    if reason == "epoch_cap" and final.get("still_improving"):
        text += " (still improving)"
    if final.get("fine_tuned"):
        text += ", fine-tuned from its trial's weights"
    return text


def epochs_text(final: Mapping[str, Any]) -> tuple[str, str]:
    """Epochs trained and the best validation epoch (counted from 1); ``?`` when unknown,
    ``-`` for a model with no epochs (a closed-form graph filter) or none of its own (an
    ensemble: its members' epochs summed)."""
    epochs, best = final.get("epochs"), final.get("best_epoch")
    if final.get("stop_reason") in ("closed_form", "ensemble"):
        return str(epochs or 0), "-"
    return (
        "?" if epochs is None else str(epochs),
        "?" if best is None else str(best + 1),
    )


CUT_SHORT = {
    "time_limit": "hit the time limit (search.final_seconds)",
    "still_improving": "reached the epoch cap still improving (trainer.max_epochs; a search "
    "run again with a higher one continues it)",
}
"""Why a retrain is not a finished training, by :func:`cut_short`'s key."""


def cut_short(final: Mapping[str, Any]) -> str | None:
    """``time_limit`` or ``still_improving`` (at the epoch cap) when a retrain's score is not
    a finished training's; ``None`` when it is (or its stop reason is unknown)."""
    reason = final.get("stop_reason")
    if reason == "time_limit":
        return "time_limit"
    if reason == "epoch_cap" and final.get("still_improving"):
        return "still_improving"
    return None


@dataclass(frozen=True)
class Comparison:
    """The best found architecture against the best baseline on one test metric.

    ``gain`` (relative, e.g. ``0.05`` for +5%) is set only when the comparison is valid;
    otherwise ``why_not`` says why there is none.
    """

    metric: str
    gain: float | None = None
    baseline: str | None = None
    why_not: str | None = None
    unknown: tuple[str, ...] = ()  # compared rows whose stop reason was not recorded

    @property
    def valid(self) -> bool:
        return self.gain is not None


def compare_finals(finals: Mapping[str, Mapping[str, Any]], metric: str) -> Comparison:
    """Compare ``found-1`` (the first found row) with the best baseline that trained.

    The gain is claimed only when every compared row (the found one and each baseline that
    trained; failed ones are left out) finished its training: a row cut short by the time
    limit, or at the epoch cap while still improving, makes the comparison invalid and named.
    Rows whose stop reason is unknown (reused results saved before it was recorded) are
    compared and listed in ``unknown``.
    """
    key = f"test/{metric}"
    found = next(((n, f) for n, f in finals.items() if f.get("kind") == "found"), None)
    baselines = {n: f for n, f in finals.items() if f.get("kind") == "baseline"}
    trained = {n: f for n, f in baselines.items() if "error" not in f}
    none = f"No comparison on test {metric}: "
    if found is None:
        return Comparison(metric, why_not=none + "no found architecture was retrained.")
    if "error" in found[1]:
        return Comparison(metric, why_not=none + f"the retrain of {found[0]} failed.")
    if not baselines:
        why = "no baseline was retrained (search.baselines)."
        return Comparison(metric, why_not=none + why)
    if not trained:
        return Comparison(metric, why_not=none + "every baseline's retrain failed.")
    compared = {found[0]: found[1], **trained}
    short: dict[str, list[str]] = {}
    for name, final in compared.items():
        if (why := cut_short(final)) is not None:
            short.setdefault(why, []).append(name)
    if short:
        reasons = [f"{', '.join(names)} {CUT_SHORT[why]}" for why, names in short.items()]
        why = f"Not a valid comparison on test {metric}, so no gain is claimed: "
        return Comparison(metric, why_not=why + "; ".join(reasons) + ".")

    def utility(name: str) -> float:
        value = trained[name]["test"].get(key)
        return -math.inf if value is None else metric_utility(metric, value)

    best_name = max(trained, key=utility)
    best = trained[best_name]["test"].get(key)
    mine = found[1]["test"].get(key)
    if mine is None or not best or (is_minimised(metric) and not mine):
        why = f"the best baseline ({best_name}) scores {best}."
        return Comparison(metric, baseline=best_name, why_not=none + why)
    # The gain is the relative improvement: a lower value is the gain of a minimised metric.
    gain = best / mine - 1.0 if is_minimised(metric) else mine / best - 1.0
    unknown = tuple(name for name, f in compared.items() if f.get("stop_reason") is None)
    return Comparison(metric, gain=gain, baseline=best_name, unknown=unknown)


def comparison_headline(finals: Mapping[str, Mapping[str, Any]], metric: str) -> str:
    """The report's one-line verdict on the best found architecture against the baselines
    (:func:`compare_finals`): the gain, or why none is claimed."""
    comparison = compare_finals(finals, metric)
    if comparison.gain is None:
        return str(comparison.why_not)
    line = (
        f"Best found vs best baseline ({comparison.baseline}) on test {metric}: "
        f"{comparison.gain:+.1%} (1 seed)"
    )
    if comparison.unknown:
        line += f" (stop reasons unknown for: {', '.join(comparison.unknown)})"
    return line + "."


def write_report(
    path: Path,
    *,
    title: str,
    finals: dict[str, dict[str, Any]],
    metrics: Sequence[str],
    notes: Sequence[str] = (),
    verdict: Sequence[str] = (),
) -> None:
    """``report.md``: test metrics of the found architectures next to the baselines.

    Each row shows the epochs trained, the best validation epoch and why training stopped;
    the headline under the table (:func:`comparison_headline`) claims a gain only when the
    compared rows all finished their training.

    Args:
        finals: Per model name, ``{"test": {...}, "valid": {...}, "parameters": int,
            "train_seconds": float, "kind": "found" | "baseline", "epochs": int,
            "best_epoch": int (from 0), "stop_reason": str, "still_improving": bool}``
            (the last four may be missing or ``None``: unknown), or ``{"kind", "error"}``.
        metrics: Metric names (``ndcg@20``) shown as columns; the first is compared.
        verdict: Lines shown first, under "Verdict" (see :mod:`lgnas.report.verdict`).
    """
    lines = [f"# {title}", ""]
    if verdict:
        lines += ["## Verdict", "", "```text", *verdict, "```", "", "## Retrained models", ""]
    lines += [
        "Test metrics after retraining at full fidelity (train split, "
        "early-stopped on validation, tested once). Best epoch counts from 1; a row cut short "
        "by the time limit, or at the epoch cap while still improving, is not a finished "
        "training, and no gain is claimed over it.",
        "",
    ]
    header = ["model", "kind", *metrics, "parameters", "train s", "epochs", "best epoch", "stop"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    failed = {name: f for name, f in finals.items() if "error" in f}
    for name, final in finals.items():
        if name in failed:
            continue
        values = [f"{final['test'].get(f'test/{m}', float('nan')):.4f}" for m in metrics]
        epochs, best = epochs_text(final)
        lines.append(
            f"| {name} | {final['kind']} | "
            + " | ".join(values)
            + f" | {final['parameters']} | {final['train_seconds']:.1f} | {epochs} | {best} | "
            + f"{stop_text(final)} |"
        )
    if finals:
        lines += ["", comparison_headline(finals, metrics[0])]
    lines += [f"- {name} ({f['kind']}) failed: {f['error']}" for name, f in failed.items()]
    lines += ["", *notes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
