"""The gain over the best baseline, compared over seeds: each run's retrains read from disk,
mean ± std over the seeds whose comparison is valid, the others named with why."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import yaml

from lgnas.report.compare import collect_runs, gain_lines, strategy_table, summarise


def _final(run: Path, name: str, ndcg: float, stop: str = "early_stop") -> None:
    folder = run / "final" / name
    folder.mkdir(parents=True)
    summary = {
        "test": {"test/ndcg@20": ndcg, "test/recall@20": 2 * ndcg},
        "valid": {"val/ndcg@20": ndcg},
        "num_parameters": 1000,
        "train_seconds": 1.0,
        "epochs": 40,
        "best_epoch": 29,
        "stop_reason": stop,
        "still_improving": stop == "epoch_cap",
    }
    (folder / "metrics.json").write_text(json.dumps(summary))


def _run(root: Path, seed: int, found: float, mf: float, ngcf: float, *, variant: str = "",
         stop: str = "early_stop") -> Path:  # fmt: skip
    run = root / f"{variant or 'plain'}-seed{seed}"
    run.mkdir(parents=True)
    header = {"type": "header", "seed": seed, "objective": "ndcg@20",
              "dataset": {"name": "ml100k"}, "strategy": {"name": "genetic"}}  # fmt: skip
    trial = {"type": "trial", "id": 0, "key": "0", "point": {}, "objective": found,
             "status": "ok", "metrics": {}, "error": None, "fidelity": None,
             "cost": {"seconds": 1.0}}  # fmt: skip
    (run / "journal.jsonl").write_text(f"{json.dumps(header)}\n{json.dumps(trial)}\n")
    (run / ".hydra").mkdir()
    overrides = ["+strategy=genetic", f"seed={seed}", "threads=1", *variant.split()]
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    _final(run, "found-1", found, stop)
    _final(run, "mf", mf)
    _final(run, "ngcf", ngcf)
    return run


def test_gains_are_averaged_over_seeds_against_each_seeds_best_baseline(tmp_path: Path) -> None:
    scores = [(0.33, 0.30, 0.31), (0.32, 0.33, 0.30), (0.35, 0.30, 0.32)]
    for seed, (found, mf, ngcf) in enumerate(scores):
        _run(tmp_path, seed, found, mf, ngcf)
    gains = [100 * (found / max(mf, ngcf) - 1) for found, mf, ngcf in scores]
    expected = f"{statistics.mean(gains):+.1f}% ± {statistics.stdev(gains):.1f}%"
    runs = collect_runs(tmp_path)
    [line] = gain_lines(runs)
    assert line.startswith(f"genetic on ml100k: best found vs best baseline on test ndcg@20: "
                           f"{expected} over 3 seeds (seed 0 {gains[0]:+.1f}%")  # fmt: skip
    [row] = strategy_table(runs)
    assert row["gain vs best baseline"] == expected
    assert "variant" not in row  # the runs differ only by seed


def test_a_seed_cut_short_is_left_out_of_the_mean_and_named(tmp_path: Path) -> None:
    _run(tmp_path, 0, 0.33, 0.30, 0.31)
    _run(tmp_path, 1, 0.40, 0.30, 0.31, stop="epoch_cap")  # still improving: no valid gain
    runs = collect_runs(tmp_path)
    [line] = gain_lines(runs)
    gain = 100 * (0.33 / 0.31 - 1)
    assert f": {gain:+.1f}% over 1 seed (seed 0 {gain:+.1f}%)" in line
    assert "not compared: seed 1: Not a valid comparison" in line
    assert "found-1 reached the epoch cap still improving" in line
    assert strategy_table(runs)[0]["gain vs best baseline"] == f"{gain:+.1f}% (1 of 2 seeds)"


def test_runs_that_differ_in_other_overrides_are_separate_groups(tmp_path: Path) -> None:
    for seed in (0, 1):
        _run(tmp_path, seed, 0.33, 0.30, 0.31)
        _run(tmp_path, seed, 0.30, 0.30, 0.31, variant="search.scheduler=sha")
    runs = collect_runs(tmp_path)
    rows = strategy_table(runs)
    assert [row["variant"] for row in rows] == ["—", "search.scheduler=sha"]
    lines = gain_lines(runs)
    assert len(lines) == 2 and "(search.scheduler=sha)" in lines[1]
    written = summarise(tmp_path, tmp_path / "out")
    text = (tmp_path / "out" / "strategies.md").read_text()
    assert lines[0] in text and lines[1] in text and lines[1] in written
