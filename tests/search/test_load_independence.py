"""Budgets count work: a search gives the same trials and finals on an idle or a busy machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lgnas.search.run import search

SMALL = (
    "+strategy=genetic",
    "dataset=synthetic",
    "search_space=tiny",
    "search.trials=4",
    "search.fidelity=3",
    "search.baselines=[mf]",
    "trainer.max_epochs=6",
    "threads=1",
)
TIMING = ("seconds", "train_seconds", "latency_ms_per_1k_users")


def _trials(run: Path) -> list[dict]:
    records = [json.loads(line) for line in (run / "journal.jsonl").read_text().splitlines()]
    for record in records:
        record.pop("wall_seconds", None)
        if "cost" in record:
            record["cost"] = {k: v for k, v in record["cost"].items() if k not in TIMING}
    return records


def _finals(run: Path) -> dict[str, dict]:
    finals = {}
    for folder in sorted((run / "final").iterdir()):
        summary = json.loads((folder / "metrics.json").read_text())
        finals[folder.name] = {k: summary[k] for k in ("test", "valid", "epochs", "best_epoch")}
    return finals


def test_a_cpu_hog_changes_no_trial_and_no_final(search_job, tmp_path: Path) -> None:
    job = search_job(*SMALL)
    assert job.search.seconds is None and job.search.trial_seconds is None  # the defaults
    assert job.search.final_seconds is None
    search(job, tmp_path / "idle", show_progress=False)
    spin = "import time\nend = time.time() + 600\nwhile time.time() < end: pass\n"
    hogs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    try:
        search(job, tmp_path / "busy", show_progress=False)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert _trials(tmp_path / "busy") == _trials(tmp_path / "idle")
    assert _finals(tmp_path / "busy") == _finals(tmp_path / "idle")
