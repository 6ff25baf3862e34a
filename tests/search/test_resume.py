"""Resuming a real tiny search after a kill cut its journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lgnas.data import prepare_dataset
from lgnas.search.run import run_trials

TINY = (
    "+strategy=random",
    "dataset=synthetic",
    "search_space=tiny",
    "search.fidelity=1",
    "search.prior=null",
    "search.baselines=[]",
    "trainer.max_epochs=2",
)


@pytest.fixture(scope="module")
def split(search_job):
    return prepare_dataset(search_job(*TINY).dataset, seed=0)


@pytest.mark.parametrize("cut", [1, 60], ids=["newline", "record"])
def test_a_resume_after_a_cut_journal_runs_only_the_cut_trial(
    search_job, split, tmp_path: Path, cut: int
) -> None:
    run_trials(search_job(*TINY, "search.trials=3"), split, tmp_path)
    journal = tmp_path / "journal.jsonl"
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines)[:-cut])  # killed while writing the last line
    run_trials(search_job(*TINY, "search.trials=4"), split, tmp_path)
    after = journal.read_bytes().splitlines(keepends=True)
    assert [json.loads(line)["id"] for line in after[1:]] == [0, 1, 2, 3]
    assert after[-1].endswith(b"\n")
    survived = lines if cut == 1 else lines[:-1]  # the whole record stayed, or was dropped
    assert after[: len(survived)] == survived  # nothing lost, nothing re-run
