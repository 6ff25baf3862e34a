"""``python -m lgnas``: a whole search on a tiny budget, clear errors, and kill -9 resume."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lgnas.errors import ConfigError

SMALL = [
    "dataset=synthetic",
    "search_space=tiny",
    "search.trials=4",
    "search.fidelity=1",
    "search.baselines=[mf]",
    "trainer.max_epochs=2",
    "eval.warmup=0",
    "threads=1",
]


def _lgnas(*args: str, cwd: Path, wait: bool = True):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "lgnas", *args]
    if not wait:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _trials(journal: Path) -> list[dict]:
    lines = journal.read_text().splitlines() if journal.exists() else []
    return [r for r in map(json.loads, lines[1:]) if r["type"] == "trial"] if lines else []


def test_search_writes_every_output(tmp_path: Path) -> None:
    run = tmp_path / "run"
    done = _lgnas("+strategy=genetic", *SMALL, f"hydra.run.dir={run}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(_trials(run / "journal.jsonl")) == 4
    rows = (run / "leaderboard.csv").read_text().splitlines()
    assert rows[0].startswith("rank,trial,ndcg@20") and len(rows) == 5
    assert "arch:" in (run / "best_architecture.yaml").read_text()
    report = (run / "report.md").read_text()
    assert "| found-1 | found |" in report and "| mf | baseline |" in report
    assert (run / "final" / "found-1" / "model.pt").is_file()
    # It ends with the short verdict (after the progress display): two epochs end both
    # retrains at the cap while still improving, so no gain is claimed.
    verdict = done.stdout[done.stdout.index("lgnas search: genetic on synthetic") :]
    lines = verdict.strip().splitlines()
    assert len(lines) <= 15
    # The answer: found-1 or its blend with BSPM, which reports found-1's training.
    capped = r"found-1(-blended)?, mf reached the epoch cap still improving \(trainer.max_epochs;"
    assert re.search(capped, verdict)
    assert "epoch cap (still improving)" in report and "Best found vs best baseline" not in report
    best = run / "best_architecture.yaml"
    assert f"Best architecture: {best}" in lines and f"Report: {run / 'report.md'}" in verdict
    assert f"python -m lgnas.train model=file model.path={best} dataset=synthetic" in verdict
    assert lines[-1].startswith(f"Recommend with it: python -m lgnas.recommend run={run} user=")


def test_successive_halving_journals_each_rung_and_reports_the_epochs(tmp_path: Path) -> None:
    run = tmp_path / "run"
    sha = ["search.scheduler=sha", "search.min_fidelity=1", "search.eta=2", "search.fidelity=4"]
    settings = [*SMALL, *sha, "search.trials=3", "search.baselines=[]"]
    done = _lgnas("+strategy=random", *settings, f"hydra.run.dir={run}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # 3 full trials' worth of epochs (12). A bracket screens 4 candidates at 1 epoch, goes on
    # with 2 to 2 epochs and 1 to 4; each promoted trial continues its last rung's checkpoint
    # (search.warm_start), so a bracket costs 4 + 2 + 2 epochs and a second one can start.
    trials = _trials(run / "journal.jsonl")
    assert [r["fidelity"] for r in trials] == [1, 1, 1, 1, 2, 2, 4, 1, 1, 1, 1]
    assert trials[6]["candidate"] in {r["candidate"] for r in trials[4:6]}
    assert [r["cost"].get("resumed_from") for r in trials[4:7]] == [1, 1, 2]
    assert [r["cost"]["epochs"] for r in trials] == [1] * 6 + [2] + [1] * 4
    assert not (run / "checkpoints").exists()  # removed when the search ends
    assert (
        "11 trials by sha (eta 2, rungs of 1/2/4 epochs): 1 at 4 epochs (trained 4–4, 1 "
        "continuing a lower rung), 2 at 2 epochs (trained 2–2, 2 continuing a lower rung), 8 at "
        "1 epoch (trained 1–1); 12 training epochs in all; 0 failed."
    ) in (run / "report.md").read_text()


def test_without_a_strategy_it_says_how_to_choose_one(tmp_path: Path) -> None:
    done = _lgnas(*SMALL, cwd=tmp_path)
    assert done.returncode != 0
    assert "+strategy=genetic" in done.stderr and "random" in done.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        # (annealing is a real plugin under plugins/, so a name nothing registers)
        ("+strategy=no_such_strategy", "Could not find 'strategy/no_such_strategy'"),
        ("search.trials=many", "search.trials='many' must be"),
        ("threads=0", "lgnas: error: threads=0 must be an integer >= 1"),
    ],
)
def test_bad_input_exits_with_one_clear_line(tmp_path: Path, override: str, message: str) -> None:
    args = [override] if override.startswith("+strategy") else ["+strategy=random", override]
    done = _lgnas(*SMALL, *args, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()  # nothing was written: Hydra's folder goes too


def test_a_search_whose_every_trial_failed_exits_with_the_first_error(tmp_path: Path) -> None:
    run = tmp_path / "run"
    doomed = "search_space.dimensions.lr.choices=[1e30]"  # every candidate diverges
    settings = ["+strategy=random", *SMALL, "search.trials=2", "search.prior=null", doomed]
    done = _lgnas(*settings, f"hydra.run.dir={run}", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "lgnas: error: all 2 trials failed, so nothing was found; the first (trial 0) failed "
        "with: FloatingPointError: training loss became nan (diverged). Fix that, then run "
        f"again in a new output directory ({run}/journal.jsonl keeps the failures and a "
        "resume replays them)"
    )
    assert len(_trials(run / "journal.jsonl")) == 2 and not (run / "final").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("search_space.dimensions.lr.choices=[]", "dimension 'lr'"),
        ("search.scheduler=asha", "search.scheduler='asha' is unknown"),
        ("search.objective=ndcg@50", "search.objective='ndcg@50' is not among the evaluated"),
        ("search.top_k=-1", "search.top_k=-1 must be an integer >= 0"),
        ("optim.lr=0", "optim.lr=0 must be a number > 0"),
        ("+search.trails=3", "unknown setting(s) search.trails"),
        ("eval.monitor=auc", "eval.monitor='auc' is not among the evaluated metrics"),
        ("threads=0", "threads=0 must be an integer >= 1"),
    ],
)
def test_bad_settings_are_refused_at_the_door(search_job, override: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        search_job("+strategy=random", "search_space=tiny", override)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("strategy", "space", "kill_after", "stages"),
    [
        ("random", "tiny", 2, [None] * 6),
        # Killed in stage 2 (3 stage-1 trials of 6): the replay must rebuild the kept models,
        # the layer searches and each trial's stage and parent.
        ("staged", "cells", 4, [1, 1, 1, 2, 2, 2]),
    ],
)
def test_kill_9_then_restart_loses_and_reruns_nothing(
    tmp_path: Path, strategy: str, space: str, kill_after: int, stages: list[int | None]
) -> None:
    small = [s.replace("search_space=tiny", f"search_space={space}") for s in SMALL]
    settings = [f"+strategy={strategy}", *small, "search.trials=6", "search.baselines=[]"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    process = _lgnas(*settings, f"hydra.run.dir={killed}", cwd=tmp_path, wait=False)
    deadline = time.monotonic() + 300
    while len(_trials(killed / "journal.jsonl")) < kill_after and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _trials(killed / "journal.jsonl")
    assert kill_after <= len(before) < 6, "the search must be killed mid-way"

    assert _lgnas(*settings, f"hydra.run.dir={killed}", cwd=tmp_path).returncode == 0
    after = _trials(killed / "journal.jsonl")
    assert after[: len(before)] == before  # nothing lost
    assert [r["id"] for r in after] == list(range(6))  # nothing re-run

    assert _lgnas(*settings, f"hydra.run.dir={whole}", cwd=tmp_path).returncode == 0
    uninterrupted = _trials(whole / "journal.jsonl")

    def told(records: list[dict]) -> list[tuple]:
        return [(r["key"], r["objective"], r.get("stage"), r.get("parent")) for r in records]

    assert told(after) == told(uninterrupted)
    assert [r.get("stage") for r in after] == stages
    earlier = [{t["candidate"] for t in after[:i]} for i in range(len(after))]
    assert all(r.get("parent") in {None, *before} for r, before in zip(after, earlier))
    # Stage 2 starts from its parent's weights (staged inherits by default); the resumed
    # search found the parents' weights that the killed one left.
    inherited = [r["cost"].get("inherited", 0) > 0 for r in after]
    assert inherited == [stage == 2 for stage in stages]


def test_multirun_sweeps_strategies_and_seeds(tmp_path: Path) -> None:
    sweep = tmp_path / "multi"
    done = _lgnas(
        "-m",
        "+strategy=random,genetic",
        "seed=0,1",
        *SMALL,
        "search.trials=2",
        f"hydra.sweep.dir={sweep}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    for strategy in ("random", "genetic"):
        for seed in (0, 1):
            run = sweep / strategy / f"seed{seed}"
            assert (run / "report.md").is_file(), run
            assert len(_trials(run / "journal.jsonl")) == 2
