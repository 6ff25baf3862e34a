from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lgnas.errors import ConfigError
from lgnas.search.journal import RESULT_FIELDS, Journal, main, salvage_journal
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


# A kill mid-write, and the salvage of a damaged journal, on the journal of a real search.
REAL = Path(__file__).parent / "data" / "tiny_genetic_seed0.jsonl"


def _real() -> tuple[bytes, dict, list[dict], list[int]]:
    """The real journal's bytes, identity, trial records and where each trial line ends."""
    data = REAL.read_bytes()
    lines = data.decode().splitlines()
    header = json.loads(lines[0])
    identity = {k: v for k, v in header.items() if k != "type"}
    ends = [i for i, byte in enumerate(data) if byte == ord("\n")]  # each line's newline
    return data, identity, [json.loads(line) for line in lines[1:]], ends[1:]


def _record_again(journal: Journal, record: dict) -> None:
    """Journal a trial's result as the search records it (what a resume re-runs)."""
    result = TrialResult(**{name: record[name] for name in RESULT_FIELDS})
    candidate = Candidate(record["candidate"], record["point"])
    journal.record(
        record["id"], candidate, record["key"], result, wall_seconds=record["wall_seconds"]
    )


@pytest.fixture
def memory_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder in memory where the machine has one: a journal fsyncs every write, which
    costs milliseconds on a disk, and the cut test writes some 5,000 times."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(dir=shm))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_cut_at_any_byte_of_the_last_two_records_loses_only_what_was_cut(memory_dir) -> None:
    data, identity, records, ends = _real()
    path = memory_dir / "journal.jsonl"
    start = ends[-3] + 1  # the first byte of the second-last trial's line
    for cut in range(start, len(data)):
        path.write_bytes(data[:cut])
        journal = Journal(path, identity)
        # A trial survives when its whole record does, with or without its newline.
        kept = [r for r, end in zip(records, ends) if end <= cut]
        assert sorted(journal.trials) == [r["id"] for r in kept], cut
        assert path.read_bytes() == data[: ends[len(kept) - 1] + 1], cut  # ends with "\n"
        for record in records[len(kept) :]:  # the resume re-runs exactly the cut ones
            _record_again(journal, record)
        assert path.read_bytes() == data, cut
    assert [r["type"] for r in map(json.loads, data.splitlines())].count("trial") == 8


def test_a_cut_header_starts_the_journal_again(tmp_path: Path) -> None:
    data, identity, _, ends = _real()
    path = tmp_path / "journal.jsonl"
    path.write_bytes(data[: ends[0] // 2])
    assert len(Journal(path, identity)) == 0
    assert path.read_bytes() == data[: data.index(b"\n") + 1]


def _glued(data: bytes, ends: list[int], line: int) -> bytes:
    """``data`` with the newline that ends trial line ``line`` (from 0) removed, as an
    earlier lgnas left a journal when it appended after a kill had cut that newline."""
    return data[: ends[line]] + data[ends[line] + 1 :]


def test_a_damaged_journal_is_refused_with_the_way_to_salvage_it(tmp_path: Path) -> None:
    data, identity, _, ends = _real()
    path = tmp_path / "run" / "journal.jsonl"
    path.parent.mkdir()
    damaged = _glued(data, ends, 3)
    path.write_bytes(damaged)
    with pytest.raises(ConfigError) as refused:
        Journal(path, identity)
    message = str(refused.value)
    assert message.startswith(f"{path}, line 5: not a journal record; the journal is damaged")
    command = message[message.index("`") + 1 : message.rindex("`")]
    assert command == f"python -m lgnas.search.journal salvage {path}"
    assert path.read_bytes() == damaged  # refused, not changed
    # The command as the message gives it: the two glued records go back on their own lines.
    done = subprocess.run(
        [sys.executable, *command.split()[1:]], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"salvaged {path}: kept 9 records (the header and 8 trials); split line 5 into one "
        f"record each. The damaged file is kept as {path}.damaged. Resume with the same "
        "command as before."
    )
    assert path.read_bytes() == data
    assert (tmp_path / "run" / "journal.jsonl.damaged").read_bytes() == damaged
    assert len(Journal(path, identity)) == 8
    assert salvage_journal(path.parent).summary() == (
        f"{path} is well-formed (9 records (the header and 8 trials)); nothing to salvage"
    )


def test_salvage_keeps_every_valid_record_and_names_the_lines_dropped(tmp_path: Path) -> None:
    data, identity, records, ends = _real()
    lines = data.decode().splitlines(keepends=True)
    lines[2] = "not json\n"  # trial 1
    lines[4] = lines[4][:-1] + '{"type": "trial", "id": 9, "ke\n'  # trial 3, then junk
    lines.append(lines[5][:40])  # a torn last line
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(lines))
    with pytest.raises(ConfigError, match=r", lines 3, 5: not a journal record"):
        Journal(path, identity)
    salvaged = salvage_journal(path)
    assert (salvaged.kept, salvaged.dropped, salvaged.split) == (8, [3, 5, 10], [])
    assert "dropped what is not a whole record in lines 3, 5, 10." in salvaged.summary()
    journal = Journal(path, identity)
    assert sorted(journal.trials) == [r["id"] for r in records if r["id"] != 1]
    assert (tmp_path / "journal.jsonl.damaged").read_text() == "".join(lines)
    path.write_text("".join(lines))  # a second salvage keeps the first's original
    assert salvage_journal(path).original == tmp_path / "journal.jsonl.damaged.1"


def test_salvage_refuses_a_journal_without_its_header(tmp_path: Path) -> None:
    data, _, _, _ = _real()
    path = tmp_path / "journal.jsonl"
    path.write_bytes(b"{broken\n" + data[data.index(b"\n") + 1 :])
    with pytest.raises(ConfigError, match=r"the header \(line 1, the search's identity\) is lost"):
        salvage_journal(path)
    assert main(["salvage", str(tmp_path / "nowhere")]) == 1


def test_a_strategys_extra_fields_are_kept_but_never_replace_the_records_own(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "journal.jsonl", IDENTITY)
    result = TrialResult(objective=0.5)
    journal.record(0, Candidate(0, {"a": 1}), "k0", result, stage=2, parent=None)
    assert Journal(tmp_path / "journal.jsonl", IDENTITY).trials[0]["stage"] == 2
    with pytest.raises(ValueError, match=r"extra journal field\(s\) \['objective'\]"):
        journal.record(1, Candidate(1, {"a": 2}), "k1", result, objective=1.0)
