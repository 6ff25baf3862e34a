"""The report's rows and headline tell why each retrain stopped and claim no gain over a
training cut short; the verdict is short and says what to open and run next."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lgnas.report import describe_model, verdict_lines, write_report
from lgnas.report.verdict import MAX_LINES, train_command
from lgnas.report.write import comparison_headline

GAIN = re.compile(r"[+-]\d+\.\d%")


def final(
    kind: str, ndcg: float, stop: str | None = "early_stop", improving: bool | None = False
) -> dict[str, Any]:
    return {
        "kind": kind,
        "test": {"test/ndcg@20": ndcg, "test/recall@20": 2 * ndcg},
        "valid": {},
        "parameters": 1000,
        "train_seconds": 12.0,
        "epochs": 40,
        "best_epoch": 29,
        "stop_reason": stop,
        "still_improving": improving,
    }


def finished() -> dict[str, dict[str, Any]]:
    return {
        "found-1": final("found", 0.33),
        "mf": final("baseline", 0.20),
        "ngcf": final("baseline", 0.30),
    }


def report(tmp_path: Path, finals: dict[str, dict[str, Any]], **options: Any) -> str:
    path = tmp_path / "report.md"
    write_report(path, title="a search", finals=finals, metrics=["ndcg@20", "recall@20"], **options)
    return path.read_text()


def headline(text: str) -> str:
    (line,) = [x for x in text.splitlines() if "comparison" in x or "vs best baseline" in x]
    return line


def test_finished_trainings_get_the_gain_and_every_row_says_why_it_stopped(tmp_path) -> None:
    finals = finished()
    finals["mf"].update(stop_reason="epoch_cap", still_improving=False, epochs=300)
    text = report(tmp_path, finals)
    assert headline(text) == "Best found vs best baseline (ngcf) on test ndcg@20: +10.0% (1 seed)."
    assert "| found-1 | found | 0.3300 | 0.6600 | 1000 | 12.0 | 40 | 30 | early stop |" in text
    assert "| mf | baseline | 0.2000 | 0.4000 | 1000 | 12.0 | 300 | 30 | epoch cap |" in text


@pytest.mark.parametrize(
    ("row", "stop", "improving", "why"),
    [
        ("mf", "time_limit", False, "mf hit the time limit (search.final_seconds)"),
        ("found-1", "time_limit", True, "found-1 hit the time limit"),
        ("ngcf", "epoch_cap", True, "ngcf reached the epoch cap still improving"),
    ],
)
def test_a_training_cut_short_withholds_the_gain_and_is_named(
    tmp_path, row: str, stop: str, improving: bool, why: str
) -> None:
    finals = finished()
    finals[row].update(stop_reason=stop, still_improving=improving)
    text = report(tmp_path, finals)
    line = headline(text)
    assert line.startswith("Not a valid comparison on test ndcg@20") and why in line
    assert not GAIN.search(text) and "%" not in line
    shown = "epoch cap (still improving)" if stop == "epoch_cap" else "time limit"
    assert f"| {shown} |" in text


def test_rows_cut_short_for_the_same_reason_are_named_together() -> None:
    finals = finished()
    for name in finals:
        finals[name].update(stop_reason="time_limit", still_improving=True)
    line = comparison_headline(finals, "ndcg@20")
    assert "found-1, mf, ngcf hit the time limit" in line


def test_a_failed_baseline_is_listed_and_left_out_of_the_comparison(tmp_path) -> None:
    finals = finished()
    finals["mf"] = {"kind": "baseline", "error": "RuntimeError: diverged"}
    finals["ngcf"].update(stop_reason="time_limit")  # not compared if it had failed
    text = report(tmp_path, finals)
    assert "- mf (baseline) failed: RuntimeError: diverged" in text
    assert "| mf |" not in text
    assert "ngcf hit the time limit" in headline(text) and "mf" not in headline(text)


def test_old_results_without_stop_reasons_keep_the_gain_and_say_so(tmp_path) -> None:
    finals = finished()
    for name in ("mf", "ngcf"):
        for key in ("epochs", "best_epoch", "stop_reason", "still_improving"):
            del finals[name][key]  # a final/<name>/metrics.json from before they were saved
    text = report(tmp_path, finals)
    assert headline(text) == (
        "Best found vs best baseline (ngcf) on test ndcg@20: +10.0% (1 seed) "
        "(stop reasons unknown for: mf, ngcf)."
    )
    assert "| mf | baseline | 0.2000 | 0.4000 | 1000 | 12.0 | ? | ? | unknown |" in text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"found-1": {"kind": "found", "error": "boom"}}, "the retrain of found-1 failed"),
        ({"mf": None, "ngcf": None}, "no baseline was retrained (search.baselines)"),
        (
            {"mf": {"kind": "baseline", "error": "x"}, "ngcf": {"kind": "baseline", "error": "y"}},
            "every baseline's retrain failed",
        ),
    ],
)
def test_without_two_sides_there_is_no_comparison(change: dict, reason: str) -> None:
    finals = finished()
    for name, value in change.items():
        if value is None:
            del finals[name]
        else:
            finals[name] = value
    assert comparison_headline(finals, "ndcg@20") == f"No comparison on test ndcg@20: {reason}."


def test_describe_model_is_one_compact_line() -> None:
    arch = {
        "num_layers": 3,
        "op": ["lightgcn"] * 3,
        "combine": "mean",
        "transform": ["none"] * 3,
        "activation": ["identity"] * 3,
        "score": "cosine",
        "dim": 64,
        "edge_dropout": 0.1,
    }
    optim = {"loss": "softmax", "lr": 0.001, "reg": 1e-4, "temperature": 0.2, "num_negatives": 8}
    assert describe_model(arch, optim) == (
        "3 × lightgcn, combine mean, score cosine, dim 64, edge dropout 0.1 · softmax loss "
        "(τ 0.2, 8 negatives), lr 0.001, reg 0.0001"
    )
    mixed = {"num_layers": 2, "op": ["gat", "gin"], "activation": ["relu", "relu"], "heads": 2}
    assert describe_model(mixed).startswith("2 layers: gat → gin, combine mean, activation relu")
    assert "2 heads" in describe_model(mixed)
    assert describe_model({"num_layers": 0, "dim": 32}).startswith("no message passing (MF)")
    cells = {"num_layers": 2, "cell_nodes": [1, 2], "op": "gcn", "op2": "gat", "input2": 0}
    assert describe_model({**cells, "heads": 4}).startswith(
        "2 layers: gcn → cell[1 gcn(x), 2 gat(x); sum 1+2], combine mean, 4 heads"
    )


def verdict(tmp_path: Path, finals: dict[str, dict[str, Any]]) -> list[str]:
    (tmp_path / "best_architecture.yaml").write_text("arch: {}\n")
    return verdict_lines(
        title="lgnas search: genetic on ml100k, seed 0",
        finals=finals,
        metric="ndcg@20",
        run_dir=tmp_path,
        dataset="ml100k",
        recipe=({"num_layers": 2, "op": "lightgcn", "dim": 64}, {"loss": "bpr", "lr": 0.001}),
        trials_note="17 trials: 17 at 15 epochs (trained 15–15); 0 failed.",
        user="196",
    )


def test_the_verdict_is_short_and_says_what_to_open_and_run(tmp_path) -> None:
    finals = finished()
    finals["mf"].update(stop_reason="time_limit", epochs=3, best_epoch=2)
    lines = verdict(tmp_path, finals)
    text = "\n".join(lines)
    assert len(lines) <= MAX_LINES
    assert "Found: 2 × lightgcn" in text
    assert "  mf       0.2000  3 epochs, best 3, time limit" in lines
    assert "  found-1  0.3300  40 epochs, best 30, early stop" in lines
    assert "mf hit the time limit" in text and not GAIN.search(text)
    best = tmp_path / "best_architecture.yaml"
    assert f"Best architecture: {best}" in lines
    assert f"Report: {tmp_path / 'report.md'}" in text
    assert f"python -m lgnas.train model=file model.path={best} dataset=ml100k" in text
    assert f"python -m lgnas.recommend run={tmp_path} user=196" in text


def test_the_verdict_stays_short_with_many_models(tmp_path) -> None:
    finals = finished()
    finals.update({f"found-{k}": final("found", 0.3) for k in range(2, 5)})
    finals.update({f"base{k}": final("baseline", 0.1) for k in range(12)})
    lines = verdict(tmp_path, finals)
    text = "\n".join(lines)
    assert len(lines) == MAX_LINES
    assert "found-2" not in text  # found-1 and the baselines only; the rest is in report.md
    assert "more in report.md" in text and "Best found vs best baseline (ngcf)" in text
    assert "python -m lgnas.recommend" in lines[-1]


def test_report_md_opens_with_the_verdict(tmp_path) -> None:
    text = report(tmp_path, finished(), verdict=["line one", "line two"])
    assert text.index("## Verdict") < text.index("line two") < text.index("| model |")


def test_a_minimised_metric_compares_lower_as_better() -> None:
    def logloss(kind: str, value: float) -> dict[str, Any]:
        return {**final(kind, 0.0), "test": {"test/logloss": value}}

    finals = {
        "found-1": logloss("found", 0.40),
        "lr": logloss("baseline", 0.50),
        "fm": logloss("baseline", 0.44),
    }
    assert comparison_headline(finals, "logloss") == (
        "Best found vs best baseline (fm) on test logloss: +10.0% (1 seed)."
    )


def test_train_it_again_names_the_data_as_the_run_named_it(tmp_path: Path) -> None:
    """Hydra keeps the run's overrides in .hydra: the dataset choice, its dataset.* keys,
    data_dir and --config-dir come back; other overrides (the search's) do not."""
    hydra = tmp_path / ".hydra"
    hydra.mkdir()
    overrides = [
        "+strategy=genetic",
        "dataset=files",
        "dataset.train=my train.tsv",
        "+dataset.options.sep=comma",
        "data_dir=/data",
        "search.trials=4",
    ]
    (hydra / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    runtime = {
        "choices": {"dataset": "files", "strategy": "genetic"},
        "config_sources": [
            {"path": "hydra.conf", "schema": "pkg", "provider": "hydra"},
            {"path": "/home/me/conf", "schema": "file", "provider": "command-line"},
        ],
    }
    (hydra / "hydra.yaml").write_text(yaml.safe_dump({"hydra": {"runtime": runtime}}))
    best = tmp_path / "best_architecture.yaml"
    assert train_command(tmp_path, best, "files", task="ctr") == (
        f"python -m lgnas.train --config-dir=/home/me/conf model=file model.path={best} "
        "dataset=files 'dataset.train=my train.tsv' +dataset.options.sep=comma data_dir=/data "
        "task=ctr"
    )
    # A run not started by Hydra (the Python API) names the dataset config alone.
    assert train_command(tmp_path / "api", best, "ml100k").endswith(" dataset=ml100k")
