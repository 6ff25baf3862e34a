from __future__ import annotations

import json
from pathlib import Path

import pytest

from lgnas.errors import ConfigError
from lgnas.search.journal import Journal
from lgnas.trials import Candidate, TrialResult

IDENTITY = {"strategy": {"name": "random"}, "seed": 0}


def _fill(journal: Journal) -> None:
    journal.record(
        0, Candidate(0, {"lr": 0.1}), "k0", TrialResult(objective=0.5, metrics={"m": 1.0})
    )
    journal.record(1, Candidate(1, {"lr": 0.2}), "k1", TrialResult.failure("boom"))


def test_finished_trials_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "run" / "journal.jsonl"
    _fill(Journal(path, IDENTITY))
    again = Journal(path, IDENTITY)
    assert len(again) == 2
    assert again.lookup(0, "k0") == TrialResult(objective=0.5, metrics={"m": 1.0})
    failed = again.lookup(1, "k1")
    assert failed is not None and not failed.ok and failed.error == "boom"
    assert again.lookup(2, "k2") is None


def test_a_different_search_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _fill(Journal(path, IDENTITY))
    with pytest.raises(ConfigError, match=r"different search \(differs in \['seed'\]\)"):
        Journal(path, {**IDENTITY, "seed": 1})


def test_a_changed_proposal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _fill(Journal(path, IDENTITY))
    with pytest.raises(ConfigError, match="trial 0 was k0, but the resumed search proposes kX"):
        Journal(path, IDENTITY).lookup(0, "kX")


def test_a_torn_last_line_is_dropped_and_appending_continues(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    _fill(Journal(path, IDENTITY))
    with path.open("a") as handle:
        handle.write('{"type": "trial", "id": 2, "ke')  # killed mid-write
    journal = Journal(path, IDENTITY)
    assert len(journal) == 2
    journal.record(2, Candidate(2, {}), "k2", TrialResult(objective=0.1))
    lines = path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["header", "trial", "trial", "trial"]
    assert len(Journal(path, IDENTITY)) == 3


def test_fidelity_is_recorded_and_part_of_a_trial_identity(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path, IDENTITY)
    point = Candidate(4, {"lr": 0.1})
    journal.record(0, point, "k", TrialResult(objective=0.2, fidelity=2))
    journal.record(1, point, "k", TrialResult(objective=0.4, fidelity=6))
    records = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    assert [(r["id"], r["candidate"], r["fidelity"]) for r in records] == [(0, 4, 2), (1, 4, 6)]
    again = Journal(path, IDENTITY)
    assert again.lookup(1, "k", 6) == TrialResult(objective=0.4, fidelity=6)
    with pytest.raises(ConfigError, match="trial 0 was k at 2 epochs, but .* proposes k at 6"):
        again.lookup(0, "k", 6)
