"""Resuming a real tiny search: after a kill cut its journal, and with a smaller budget."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from lgnas.data import prepare_dataset
from lgnas.search.run import run_trials, search

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


@pytest.fixture(scope="module")
def finished(search_job, tmp_path_factory) -> tuple[Path, object]:
    """A finished search of six trials whose two best are retrained."""
    run = tmp_path_factory.mktemp("finished")
    return run, search(search_job(*TINY, "search.trials=6", "search.top_k=2"), run, False)


@pytest.mark.parametrize(
    "budget",
    [("search.trials=2",), ("search.trials=null", "search.seconds=0.001")],
    ids=["trials", "seconds"],
)
def test_a_resume_with_a_smaller_budget_keeps_the_best_and_the_finalists(
    finished, search_job, tmp_path: Path, budget: tuple[str, ...], capsys
) -> None:
    original, first = finished
    best = first.outcome.best
    assert best is not None and best[0].id >= 2  # a replay cut at the new budget misses it
    run = tmp_path / "run"
    shutil.copytree(original, run)
    journal = (run / "journal.jsonl").read_bytes()
    saved = {path: path.read_bytes() for path in (run / "final").rglob("metrics.json")}
    capsys.readouterr()

    again = search(search_job(*TINY, "search.top_k=2", *budget), run, show_progress=True)

    assert (run / "journal.jsonl").read_bytes() == journal  # no trial trained again
    assert again.outcome.best == best
    assert again.outcome.top(2) == first.outcome.top(2)
    assert again.finals == first.finals  # the same finalists, their saved results reused
    assert {path: path.read_bytes() for path in saved} == saved
    line = re.compile(r"budget already spent: 6 trials / \d+\.\d s; nothing new to run")
    assert line.search(capsys.readouterr().out)
    assert line.search((run / "report.md").read_text())
