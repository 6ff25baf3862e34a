"""``scripts/compare_strategies.py`` on a tiny real multirun; the search's figures via the CLI."""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from lgnas.errors import ConfigError
from lgnas.report.compare import collect_runs, strategy_table
from lgnas.report.finals import load_finals

REPO = Path(__file__).resolve().parents[2]
SMALL = [
    "dataset=synthetic", "search_space=tiny", "search.trials=3", "search.fidelity=1",
    "search.baselines=[]", "trainer.max_epochs=2", "eval.warmup=0", "threads=1",
]  # fmt: skip


def _python(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def multirun(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m lgnas -m`` over two strategies and two seeds, tiny."""
    root = tmp_path_factory.mktemp("multirun")
    sweep = root / "multirun" / "search" / "synthetic"
    done = _python("-m", "lgnas", "-m", "+strategy=random,genetic", "seed=0,1", *SMALL,
                   f"hydra.sweep.dir={sweep}", cwd=root)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return sweep


def _best(run: Path) -> float:
    lines = (run / "journal.jsonl").read_text().splitlines()[1:]
    return max(r["objective"] for r in map(json.loads, lines) if r["status"] == "ok")


def test_each_search_leaves_figures_config_and_report_sections(multirun: Path) -> None:
    run = multirun / "genetic" / "seed1"
    for name in ("progress.png", "importance.png", "pareto.png", "importance.csv"):
        assert (run / name).is_file(), name
    assert "search_space" in (run / "config.yaml").read_text()
    report = (run / "report.md").read_text()
    assert "| found-1 | found |" in report  # the search's own table is still first
    assert "## Design-choice importance" in report and "## Pareto set" in report
    assert "- `progress.png`" in report


def test_runs_are_found_with_strategy_and_seed_from_their_journals(multirun: Path) -> None:
    runs = collect_runs(multirun.parent)  # above the sweep dir works too
    assert [(r.dataset, r.strategy, r.seed) for r in runs] == [
        ("synthetic", s, seed) for s in ("genetic", "random") for seed in (0, 1)
    ]
    for run in runs:
        assert len(run.best_so_far) == 3 and run.best == _best(run.path)
        assert list(run.best_so_far) == sorted(run.best_so_far)
        assert run.test["ndcg@20"] > 0


def test_table_has_mean_and_std_over_seeds(multirun: Path) -> None:
    rows = {row["strategy"]: row for row in strategy_table(collect_runs(multirun))}
    for strategy in ("genetic", "random"):
        best = [_best(multirun / strategy / f"seed{seed}") for seed in (0, 1)]
        expected = f"{statistics.mean(best):.4f} ± {statistics.stdev(best):.4f}"
        assert rows[strategy]["best valid ndcg@20"] == expected
        assert rows[strategy]["seeds"] == "0 1"
        runs = [multirun / strategy / f"seed{s}" for s in (0, 1)]
        # Each run's answer: found-1 or its blend with BSPM, whichever validated better.
        tests = [
            next(iter(load_finals(run, "ndcg@20").values()))["test"]["test/recall@20"]
            for run in runs
        ]
        assert rows[strategy]["test recall@20"].startswith(f"{statistics.mean(tests):.4f} ± ")


def test_script_prints_the_table_and_writes_table_and_plot(multirun: Path, tmp_path: Path) -> None:
    done = _python(str(REPO / "scripts" / "compare_strategies.py"), str(multirun), "--out",
                   str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "| synthetic | genetic | 0 1 |" in done.stdout
    assert "| synthetic | random | 0 1 |" in (tmp_path / "strategies.md").read_text()
    assert (tmp_path / "strategies.csv").read_text().startswith("dataset,strategy,seeds,")
    assert (tmp_path / "strategies.png").read_bytes()[:4] == b"\x89PNG"


def test_a_folder_without_runs_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no journal.jsonl under"):
        collect_runs(tmp_path)
    done = _python(str(REPO / "scripts" / "compare_strategies.py"), str(tmp_path / "x"),
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode != 0 and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_every_trial_and_final_retrain_logs_its_epochs_to_csv(multirun: Path) -> None:
    run = multirun / "random" / "seed0"
    journal = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()[1:]]
    index = list(csv.DictReader((run / "trials" / "index.csv").open()))
    assert [int(row["trial"]) for row in index] == [r["id"] for r in journal]
    for row, record in zip(index, journal, strict=True):
        logged = list(csv.DictReader((run / "trials" / row["folder"] / "metrics.csv").open()))
        ndcg = [float(r["val/ndcg@20"]) for r in logged if r["val/ndcg@20"]]
        assert max(ndcg) == pytest.approx(record["objective"])  # best weights are restored
        assert any(r["train/loss"] for r in logged)
    final = list(csv.DictReader((run / "final" / "found-1" / "logs" / "metrics.csv").open()))
    assert [r["epoch"] for r in final if r["train/loss"]] == ["0", "1"]  # trainer.max_epochs=2
    assert any(r["test/ndcg@20"] for r in final)  # the one test, logged too


def test_a_multirun_ends_with_its_summary_over_seeds(multirun: Path) -> None:
    text = (multirun / "strategies.md").read_text()  # written by the multirun's end callback
    assert "| synthetic | genetic | 0 1 |" in text and "| synthetic | random | 0 1 |" in text
    assert (multirun / "strategies.png").is_file()
