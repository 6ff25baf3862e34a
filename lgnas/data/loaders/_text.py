"""Text-table parsing shared by all file loaders, so every format reports errors the same way."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.errors import DataError

NAMED_LINES = 10
"""Bad lines an error names one by one; it counts the rest."""

DATA_DIR_HINT = (
    "Check the path, or set LGNAS_DATA_DIR to the folder holding the datasets "
    "and give paths relative to it."
)


def require_file(path: str | Path, what: str) -> Path:
    """The path as a Path, or a DataError naming it when it is not an existing file."""
    path = Path(path).expanduser()
    if not path.is_file():
        state = "is a folder, not a file" if path.is_dir() else "not found"
        raise DataError(f"{what} {state}: {path}. {DATA_DIR_HINT}")
    return path


def require_dir(path: str | Path, what: str) -> Path:
    """The path as a Path, or a DataError naming it when it is not an existing folder."""
    path = Path(path).expanduser()
    if not path.is_dir():
        state = "is a file, not a folder" if path.is_file() else "not found"
        raise DataError(f"{what} {state}: {path}. {DATA_DIR_HINT}")
    return path


@dataclass(frozen=True)
class TextTable:
    """A delimited file held column-major as strings, with what error messages need.

    Columns are found by header name or by 0-based position (an ``int``); ``sep`` ``None``
    means runs of whitespace.
    """

    path: Path
    names: list[str]
    columns: list[tuple[str, ...]]
    has_header: bool
    sep: str | None
    encoding: str
    quoting: bool

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def index_of(self, column: str | int, role: str) -> int:
        """Position of a column named or numbered ``column``; a DataError saying what the
        file holds otherwise."""
        if is_position(column):
            if 0 <= column < len(self.names):
                return column
            raise DataError(
                f"{self.path}: no {role} column {column}; its lines have {len(self.names)} "
                f"fields (positions 0 to {len(self.names) - 1}) with separator "
                f"{describe_sep(self.sep)}. Point the {role} column at one of them, or check "
                "the separator."
            )
        if column in self.names:
            return self.names.index(column)
        if not self.has_header and self.names == list(map(str, range(len(self.names)))):
            raise DataError(
                f"{self.path}: the {role} column is given by name ({column!r}), but the file "
                f"is read without a header row; give it by 0-based position (e.g. {role}: 0), "
                "or set header: true if the first line names the columns."
            )
        raise DataError(
            f"{self.path}: no {role} column {column!r}; columns found: {self.names}. "
            f"Point the loader's {role} column option at one of them."
        )

    def tokens(self, column: str | int, role: str) -> np.ndarray:
        """A column as a numpy str array."""
        return np.array(self.columns[self.index_of(column, role)], dtype=str)

    def numbers(self, column: str | int, role: str) -> np.ndarray:
        """A column as float64 (see :meth:`numeric`)."""
        return self.numeric({role: column})[role]

    def numeric(self, columns: Mapping[str, str | int]) -> dict[str, np.ndarray]:
        """Columns (by role) as float64; every line holding a value that is not a finite
        number is named (up to :data:`NAMED_LINES`) in one DataError."""
        values: dict[str, np.ndarray] = {}
        bad: list[tuple[int, str]] = []
        for role, column in columns.items():
            raw = self.columns[self.index_of(column, role)]
            values[role], rows = _floats(raw)
            label = f"column {column}" if is_position(column) else f"column {column!r}"
            bad += [(row, f"{role} {label} holds {raw[row]!r}") for row in rows]
        if bad:
            raise self.bad_lines(
                bad,
                ", which is not a finite number",
                "with values that are not finite numbers",
                "Fix or drop those rows, or point the option naming that column at a numeric "
                "column (or leave it unset).",
            )
        return values

    def bad_lines(
        self, bad: Sequence[tuple[int, str]], one: str, many: str, advice: str
    ) -> DataError:
        """One DataError naming the file and the lines of ``bad`` (data row, what is wrong),
        the first :data:`NAMED_LINES` one by one and a count of the rest.

        ``one`` ends the sentence about a single bad line; ``many`` says what several do.
        """
        total = len({row for row, _ in bad})
        shown = sorted(bad)[:NAMED_LINES]
        rows = sorted({row for row, _ in shown})
        lines = dict(zip(rows, self.lines_of(rows), strict=True))
        named = [f"line {lines[row]}: {what}" for row, what in shown]
        if len(bad) == 1:
            return DataError(f"{self.path}, {named[0]}{one}. {advice}")
        rest = total - len(rows)
        more = f"; and {rest} more line{'s' if rest > 1 else ''}" if rest else ""
        counted = f"{total} line{'s' if total > 1 else ''}"
        return DataError(f"{self.path}: {counted} {many}: {'; '.join(named)}{more}. {advice}")

    def line_of(self, row: int) -> int:
        """1-based file line of a data row (see :meth:`lines_of`)."""
        return self.lines_of([row])[0]

    def lines_of(self, rows: Sequence[int]) -> list[int]:
        """1-based file lines of data rows; re-reads the file, so call it on error paths only."""
        skip = 1 if self.has_header else 0
        wanted = {row + skip: None for row in rows}
        with self.path.open(newline="", encoding=self.encoding, errors="replace") as handle:
            for index, line in enumerate(_numbered_records(handle, self.sep, self.quoting)):
                if index in wanted:
                    wanted[index] = line
        return [wanted[row + skip] or -1 for row in rows]


def describe_sep(sep: str | None) -> str:
    """How a separator reads in messages."""
    return "whitespace" if sep is None else repr(sep)


def is_position(column: object) -> bool:
    """Whether a column is given by 0-based position (an int, not a bool) rather than name."""
    return isinstance(column, int) and not isinstance(column, bool)


def _floats(raw: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Strings as float64, and the rows whose value is not a finite number."""
    try:
        values = np.array(raw, dtype=np.float64)
    except ValueError:  # some value does not parse: find them all, one by one
        values = np.array([_float_or_nan(text) for text in raw], dtype=np.float64)
    return values, np.flatnonzero(~np.isfinite(values)).tolist()


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return np.nan


def _reader(handle: TextIO, sep: str, quoting: bool) -> Any:
    return csv.reader(
        handle, delimiter=sep, quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE
    )


def _numbered_records(handle: TextIO, sep: str | None, quoting: bool) -> Iterator[int]:
    """The 1-based line number of each non-blank record, as :func:`read_table` counts them."""
    if sep is not None and quoting:
        reader = _reader(handle, sep, True)
        yield from (reader.line_num for record in reader if record)
        return
    lines = handle.read().replace("\r\n", "\n").split("\n")
    blank = (lambda line: not line.split()) if sep is None else (lambda line: not line)
    yield from (number for number, line in enumerate(lines, 1) if not blank(line))


def read_table(
    path: Path,
    *,
    sep: str | None,
    names: Sequence[str] | None = None,
    header: bool = True,
    encoding: str = "utf-8",
    quoting: bool = True,
) -> TextTable:
    """Read a delimited file into columns, checking every row has the same width.

    The first line is a header of column names unless ``names`` are given or ``header`` is
    false (then columns are found by position, and the width most lines have is the one
    expected). Blank lines are skipped. ``sep=None`` splits on runs of whitespace.
    ``quoting=False`` treats quote characters as data (GroupLens, RecBole) and takes a faster
    split-based path; ``True`` follows CSV quoting rules.
    """
    split_lines = sep is None or quoting  # rows as lists of fields, else as plain lines
    try:
        with path.open(newline="", encoding=encoding) as handle:
            if sep is not None and quoting:
                rows: list[Any] = [row for row in _reader(handle, sep, True) if row]
            else:
                text = handle.read().replace("\r\n", "\n").split("\n")
                rows = [line.split() for line in text] if sep is None else text
                rows = [row for row in rows if row]
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: bytes at offset {error.start} are not valid {encoding}; "
            "pass the file's encoding (e.g. encoding='latin-1')."
        ) from None
    except csv.Error as error:
        raise DataError(f"{path}: malformed delimited text ({error}); check sep/quoting.") from None
    has_header = names is None and header
    # Plain lines are checked by counting separators, then split all at once (C speed).
    widths = (
        list(map(len, rows)) if split_lines else [n + 1 for n in map(str.count, rows, repeat(sep))]
    )
    if has_header:
        if not rows:
            raise DataError(f"{path} is empty; expected a header row and interactions.")
        first = rows.pop(0)
        widths.pop(0)
        cells = first if split_lines else first.split(sep)
        names = [name.strip().lstrip("\ufeff") for name in cells]  # spreadsheets add a BOM
    elif names is None:
        most = Counter(widths).most_common(1)[0][0] if widths else 0
        names = [str(position) for position in range(most)]
    table = TextTable(path, list(names), [], has_header, sep, encoding, quoting)
    width = len(table.names)
    if set(widths) - {width}:
        ragged = [(row, f"{w} fields") for row, w in enumerate(widths) if w != width]
        expected = f"expected ({table.names})" if has_header else "expected (as most lines)"
        how = f"{expected} with separator {describe_sep(sep)}"
        raise table.bad_lines(
            ragged,
            f" where {width} were {how}",
            f"without the {width} fields {how}",
            "Check the separator and quoting there.",
        )
    if split_lines:
        table.columns.extend(zip(*rows, strict=True) if rows else [() for _ in table.names])
    else:
        flat = sep.join(rows).split(sep) if rows else []
        table.columns.extend(tuple(flat[j::width]) for j in range(width))
    return table


def require_rows(table: TextTable) -> None:
    """Reject a file that has a header but no interactions, before anything else uses it."""
    if len(table) == 0:
        raise DataError(f"{table.path} has no interaction rows; expected at least one.")


def side_table(table: TextTable, key: str | int) -> dict[str, tuple[str, ...]]:
    """An item side table's columns by name, once its id column ``key`` is known to exist."""
    table.index_of(key, "item")
    return dict(zip(table.names, table.columns, strict=True))


def interactions_from_tables(
    tables: Sequence[TextTable],
    columns: Mapping[str, str | int],
    item_table: Mapping[str, Sequence[str]] | None = None,
    item_key: str = "item_id",
) -> tuple[Interactions, list[int]]:
    """The rows of one or more tables read alike as one :class:`Interactions`, with ids
    mapped consistently across them, plus the rows each table gave.

    ``columns`` maps ``user`` and ``item`` (and optionally ``rating``, ``timestamp``) to a
    column of every table; each table's bad numbers are named in one error.
    """
    for table in tables:
        require_rows(table)
    numeric = {role: columns[role] for role in ("rating", "timestamp") if role in columns}
    numbers = [table.numeric(numeric) for table in tables]

    def tokens(role: str) -> np.ndarray:
        return np.concatenate([table.tokens(columns[role], role) for table in tables])

    def joined(role: str) -> np.ndarray | None:
        return np.concatenate([part[role] for part in numbers]) if role in numeric else None

    data = Interactions.from_tokens(
        tokens("user"),
        tokens("item"),
        rating=joined("rating"),
        timestamp=joined("timestamp"),
        item_table=item_table,
        item_key=item_key,
    )
    return data, [len(table) for table in tables]
