"""A search journal on disk: one JSON record per line, read without changing the file.

The search appends one whole line per write (a header first, then one line per trial), so a
kill can cut only the last line short, and only that line may lack its newline: if it still
holds a record it is complete but for the newline; if it holds none it is torn. Any other line
that is not one record is damage no kill explains (an earlier lgnas appended to a line
whose newline a kill had cut, gluing two records): readers refuse it and name the command
that salvages the journal (:data:`SALVAGE`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lgnas.errors import ConfigError

SALVAGE = "python -m lgnas.search.journal salvage"
"""The command that rewrites a damaged journal with every valid record it holds."""

Record = dict[str, Any]


@dataclass(frozen=True)
class JournalLines:
    """What a journal file holds, line by line (numbers count from 1).

    Attributes:
        path: The file.
        records: ``(line number, record)`` of every line that holds one record, in order.
        damaged: The lines that hold none, except a torn last line.
        tail: ``complete`` when the last line lacks its newline but holds a record, ``torn``
            when it lacks it and holds none, else ``""``.
        whole: Bytes up to the last newline (what a dropped torn line leaves).
    """

    path: Path
    records: list[tuple[int, Record]]
    damaged: list[int]
    tail: Literal["", "complete", "torn"]
    whole: int

    def check(self, where: str = "") -> None:
        """Refuse a damaged journal, naming its bad lines and how to salvage it.

        Args:
            where: What the journal is to the caller, prefixed to the message
                (``search.prior=runs/a: ``).
        """
        if not self.damaged:
            return
        shown = ", ".join(map(str, self.damaged[:10]))
        more = f" and {len(self.damaged) - 10} more" if len(self.damaged) > 10 else ""
        lines = "line" if len(self.damaged) == 1 else "lines"
        raise ConfigError(
            f"{where}{self.path}, {lines} {shown}{more}: not a journal record; the journal is "
            f"damaged. Salvage it with `{SALVAGE} {self.path}` (it keeps every valid record, "
            "says which lines it drops and keeps the damaged file beside it), then resume"
        )


def read_lines(path: Path) -> JournalLines:
    """Every line of the journal at ``path``, parsed; the file is never modified."""
    data = path.read_bytes()
    whole = data.rfind(b"\n") + 1
    lines = data[:whole].split(b"\n")[:-1]
    records: list[tuple[int, Record]] = []
    damaged = []
    for number, raw in enumerate(lines, 1):
        found, clean = records_in(raw)
        if clean and len(found) == 1:
            records.append((number, found[0]))
        else:
            damaged.append(number)
    tail: Literal["", "complete", "torn"] = ""
    if whole < len(data):
        number = len(lines) + 1
        found, clean = records_in(data[whole:])
        if clean and len(found) == 1:
            records.append((number, found[0]))
            tail = "complete"
        elif found:  # a whole record in front of more: not what one cut-short write leaves
            damaged.append(number)
        else:
            tail = "torn"
    return JournalLines(path, records, damaged, tail, whole)


def records_in(raw: bytes) -> tuple[list[Record], bool]:
    """The records one line holds, one after another, and whether nothing else is in it.

    A line normally holds exactly one; two when a record was appended to a line whose newline
    had been cut. Reading stops at the first thing that is not a record.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        text, clean = raw[: error.start].decode("utf-8"), False
    else:
        clean = True
    decoder = json.JSONDecoder()
    found: list[Record] = []
    at = 0
    while True:
        at = len(text) - len(text[at:].lstrip())
        if at == len(text):
            return found, clean
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            return found, False
        if not _is_record(value):
            return found, False
        found.append(value)


def _is_record(value: Any) -> bool:
    """A JSON object; a trial's has a whole-number id (what every reader indexes by)."""
    if not isinstance(value, dict):
        return False
    trial_id = value.get("id")
    return value.get("type") != "trial" or (
        isinstance(trial_id, int) and not isinstance(trial_id, bool)
    )
