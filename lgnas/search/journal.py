"""Append-only trial journal: every finished trial survives a crash and is never re-run.

Also ``python -m lgnas.search.journal salvage PATH``: rewrite a damaged journal with every
valid record it holds (:func:`salvage_journal`).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lgnas.errors import ConfigError, LgnasError
from lgnas.trials import Candidate, TrialResult, describe_fidelity
from lgnas.trials.journal_file import JournalLines, read_lines, records_in

RESULT_FIELDS = ("objective", "status", "metrics", "cost", "error", "fidelity")

logger = logging.getLogger(__name__)


class Journal:
    """One JSON object per line, written and fsync-ed as each trial finishes.

    The first line is a header holding the search's identity (strategy, space, seed, ...);
    reopening a journal with another identity is refused, since its trials would not belong
    to the search being resumed. Opening repairs what a kill mid-write leaves
    (:mod:`lgnas.trials.journal_file`): a torn last line is dropped, a last line missing only
    its newline gets it, so the file ends with a newline before anything is appended. Other
    damage is refused with the command that salvages it.

    Args:
        path: The journal file (created with its parents if missing).
        identity: What must match for a resume, as plain JSON data.
        free: Dotted keys of ``identity`` (``trainer.max_epochs``) a resume may change: no
            trial depends on them. The header keeps the first run's values.
    """

    def __init__(
        self, path: str | Path, identity: dict[str, Any], free: tuple[str, ...] = ()
    ) -> None:
        self.path = Path(path)
        self.identity = json.loads(json.dumps(identity))  # normalise to plain JSON types
        self.free = free
        self.trials: dict[int, dict[str, Any]] = {}
        lines = read_lines(self.path) if self.path.exists() else None
        if lines is not None:
            lines.check()
            _repair_tail(lines)
        if lines is not None and lines.records:
            self._load([record for _, record in lines.records])
        else:  # new, or nothing but a header cut short
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._write({"type": "header", **self.identity}, truncate=True)

    def _load(self, records: list[dict[str, Any]]) -> None:
        header = records[0]
        stored = _without({k: v for k, v in header.items() if k != "type"}, self.free)
        mine = _without(self.identity, self.free)
        if header.get("type") != "header" or stored != mine:
            differing = sorted(k for k in set(stored) | set(mine) if stored.get(k) != mine.get(k))
            raise ConfigError(
                f"{self.path} belongs to a different search (differs in {differing}); "
                "use a new output directory, or the same settings to resume it"
            )
        for record in records[1:]:
            if record.get("type") == "trial":
                self.trials[int(record["id"])] = record

    def _write(self, record: dict[str, Any], truncate: bool = False) -> None:
        with self.path.open("w" if truncate else "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def lookup(self, trial: int, key: str, fidelity: int | None = None) -> TrialResult | None:
        """The recorded result of trial number ``trial``, if it finished before.

        A trial is one training of a point at one fidelity, numbered in the order the search
        runs them (without a scheduler, the candidate's id). With ``fidelity`` given, the
        record must be at it too: a multi-fidelity search trains a point once per fidelity.

        Raises:
            ConfigError: The journal holds another point or fidelity under this number (the
                search's settings changed in a way its identity did not capture).
        """
        record = self.trials.get(trial)
        if record is None:
            return None
        recorded_fidelity = record.get("fidelity") if fidelity is not None else None
        if record["key"] != key or recorded_fidelity != fidelity:
            was = _describe(record["key"], recorded_fidelity)
            raise ConfigError(
                f"{self.path}: trial {trial} was {was}, but the resumed search proposes "
                f"{_describe(key, fidelity)}; the search settings changed, so start a new "
                "output directory"
            )
        return _result(record)

    def record(
        self, trial: int, candidate: Candidate, key: str, result: TrialResult, **extra: Any
    ) -> None:
        """Append trial number ``trial`` (of ``candidate``) and flush it to disk; ``extra``
        fields (a strategy's :meth:`~lgnas.strategies.SearchStrategy.trial_fields`) may not
        reuse a field of the record."""
        clash = sorted(set(extra) & {"type", "id", "candidate", "key", "point", *RESULT_FIELDS})
        if clash:
            raise ValueError(f"extra journal field(s) {clash} would overwrite the trial's own")
        record = {
            "type": "trial",
            "id": trial,
            "candidate": candidate.id,
            "key": key,
            "point": candidate.point,
            **asdict(result),
            **extra,
        }
        self._write(record)
        self.trials[trial] = json.loads(json.dumps(record))

    def finished(self, since: int = 0) -> list[tuple[int, Candidate, str, TrialResult]]:
        """The recorded trials numbered ``since`` or above, in number order, each as
        ``(number, candidate, key, result)``."""
        return [
            (
                number,
                Candidate(int(record.get("candidate", number)), record["point"]),
                record["key"],
                _result(record),
            )
            for number, record in sorted(self.trials.items())
            if number >= since
        ]

    def __len__(self) -> int:
        return len(self.trials)


def _describe(key: str, fidelity: int | None) -> str:
    return key if fidelity is None else f"{key} at {describe_fidelity(fidelity)}"


def _result(record: dict[str, Any]) -> TrialResult:
    return TrialResult(**{name: record[name] for name in RESULT_FIELDS})


def _repair_tail(lines: JournalLines) -> None:
    """End the file with a newline: complete a last line that lacks only that, or drop a torn
    one (the trial it was recording runs again)."""
    if not lines.tail:
        return
    with lines.path.open("r+b") as handle:
        if lines.tail == "torn":
            handle.truncate(lines.whole)
            logger.warning(
                "%s: its last line was cut short before its record was whole (the search was "
                "killed while writing it); dropped it, so that trial runs again",
                lines.path,
            )
        else:
            handle.seek(0, os.SEEK_END)
            handle.write(b"\n")
        handle.flush()
        os.fsync(handle.fileno())


@dataclass(frozen=True)
class Salvage:
    """What :func:`salvage_journal` did.

    Attributes:
        path: The journal.
        kept: Records written back, the header included.
        dropped: Lines dropped, wholly or in part (their valid records in front are kept).
        split: Lines that held several records, now one line each.
        original: Where the damaged file was kept; ``None`` when nothing needed changing.
    """

    path: Path
    kept: int
    dropped: list[int]
    split: list[int]
    original: Path | None

    def summary(self) -> str:
        """What was done, in one line."""
        held = f"{self.kept} records (the header and {self.kept - 1} trials)"
        if self.original is None:
            return f"{self.path} is well-formed ({held}); nothing to salvage"
        changes = []
        if self.dropped:
            changes.append(f"dropped what is not a whole record in {_lines(self.dropped)}")
        if self.split:
            changes.append(f"split {_lines(self.split)} into one record each")
        done = "; ".join(changes) or "gave the last line its newline"
        return (
            f"salvaged {self.path}: kept {held}; {done}. The damaged file is kept as "
            f"{self.original}. Resume with the same command as before."
        )


def salvage_journal(path: str | Path) -> Salvage:
    """Rewrite a damaged journal with every valid record it holds, one per line.

    A line holding several records (a record appended to a line whose newline a kill had
    cut) is split; a line that is not a record is dropped, and so is what follows the records
    at the front of a line. The damaged file is kept beside it (``journal.jsonl.damaged``),
    and the journal is replaced only once the new one is on disk.

    Args:
        path: The journal, or the run directory holding ``journal.jsonl``.

    Raises:
        ConfigError: No journal there, or its header (the search's identity) is lost.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "journal.jsonl"
    if not path.is_file():
        raise ConfigError(f"no journal at {path}; give a search's run directory or its journal")
    data = path.read_bytes()
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()
    kept, dropped, split = [], [], []
    for number, raw in enumerate(lines, 1):
        found, clean = records_in(raw)
        kept += found
        if not (clean and found):
            dropped.append(number)
        elif len(found) > 1:
            split.append(number)
    if not kept or kept[0].get("type") != "header":
        raise ConfigError(
            f"{path}: the header (line 1, the search's identity) is lost, so no search can "
            "resume from this journal; start a new output directory"
        )
    if not dropped and not split and data.endswith(b"\n"):
        return Salvage(path, len(kept), [], [], None)
    original = path.with_name(f"{path.name}.damaged")
    for number in itertools.count(1):  # an earlier salvage's original is kept too
        if not original.exists():
            break
        original = path.with_name(f"{path.name}.damaged.{number}")
    fresh = path.with_name(f"{path.name}.salvaged")
    with fresh.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record, sort_keys=True) + "\n" for record in kept)
        handle.flush()
        os.fsync(handle.fileno())
    original.write_bytes(data)
    os.replace(fresh, path)
    return Salvage(path, len(kept), dropped, split, original)


def _lines(numbers: list[int]) -> str:
    return ("line " if len(numbers) == 1 else "lines ") + ", ".join(map(str, numbers))


def _without(identity: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """``identity`` less the dotted ``keys`` (a copy; missing ones ignored)."""
    pruned = json.loads(json.dumps(identity))
    for dotted in keys:
        *parents, last = dotted.split(".")
        node = pruned
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return pruned


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lgnas.search.journal salvage PATH``."""
    parser = argparse.ArgumentParser(
        prog="python -m lgnas.search.journal",
        description="Repair a search journal that a resume refuses as damaged.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    salvage = commands.add_parser(
        "salvage",
        help="keep every valid record, drop the rest, and keep the damaged file beside it",
    )
    salvage.add_argument("path", help="the run directory, or its journal.jsonl")
    arguments = parser.parse_args(argv)
    try:
        print(salvage_journal(arguments.path).summary())
    except LgnasError as error:
        print(f"lgnas: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
