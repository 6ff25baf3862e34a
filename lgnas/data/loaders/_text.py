"""Text-table parsing shared by all file loaders, so every format reports errors the same way."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from lgnas.errors import DataError

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
    """A delimited file held column-major as strings, with what error messages need."""

    path: Path
    names: list[str]
    columns: list[tuple[str, ...]]
    has_header: bool
    sep: str
    encoding: str
    quoting: bool

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def index_of(self, name: str, role: str) -> int:
        """Position of a named column; a DataError listing the columns found otherwise."""
        try:
            return self.names.index(name)
        except ValueError:
            raise DataError(
                f"{self.path}: no {role} column {name!r}; columns found: {self.names}. "
                f"Point the loader's {role} column option at one of them."
            ) from None

    def tokens(self, name: str, role: str) -> np.ndarray:
        """A column as a numpy str array."""
        return np.array(self.columns[self.index_of(name, role)], dtype=str)

    def numbers(self, name: str, role: str) -> np.ndarray:
        """A column as float64; the first non-numeric or non-finite value is a DataError."""
        raw = self.columns[self.index_of(name, role)]
        try:
            values = np.array(raw, dtype=np.float64)
            bad_rows = np.flatnonzero(~np.isfinite(values))
            bad = int(bad_rows[0]) if len(bad_rows) else None
        except ValueError:
            bad = next(row for row, text in enumerate(raw) if not _is_number(text))
        if bad is None:
            return values
        raise DataError(
            f"{self.path}, line {self.line_of(bad)}: {role} column {name!r} holds "
            f"{raw[bad]!r}, which is not a finite number. Fix or drop that row, or point "
            f"the {role} option at a numeric column (or leave it unset)."
        )

    def line_of(self, row: int) -> int:
        """1-based file line of a data row; re-reads the file, so call it on error paths only."""
        seen = -1 if self.has_header else 0
        with self.path.open(newline="", encoding=self.encoding, errors="replace") as handle:
            reader = _reader(handle, self.sep, self.quoting)
            for record in reader:
                if record:
                    if seen == row:
                        return reader.line_num
                    seen += 1
        return -1


def _reader(handle: TextIO, sep: str, quoting: bool) -> Any:
    return csv.reader(
        handle, delimiter=sep, quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE
    )


def _is_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def read_table(
    path: Path,
    *,
    sep: str,
    names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    quoting: bool = True,
) -> TextTable:
    """Read a delimited file into columns, checking every row has the header's width.

    With ``names`` the file has no header row and the columns get those names. Blank
    lines are skipped. ``quoting=False`` treats quote characters as data (GroupLens,
    RecBole) and takes a faster split-based path; ``True`` follows CSV quoting rules.
    """
    try:
        with path.open(newline="", encoding=encoding) as handle:
            if quoting:
                rows: list[Any] = [row for row in _reader(handle, sep, True) if row]
            else:
                rows = [line for line in handle.read().replace("\r\n", "\n").split("\n") if line]
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: bytes at offset {error.start} are not valid {encoding}; "
            "pass the file's encoding (e.g. encoding='latin-1')."
        ) from None
    except csv.Error as error:
        raise DataError(f"{path}: malformed delimited text ({error}); check sep/quoting.") from None
    has_header = names is None
    if has_header:
        if not rows:
            raise DataError(f"{path} is empty; expected a header row and interactions.")
        header = rows.pop(0)
        cells = header if quoting else header.split(sep)
        names = [name.strip().lstrip("\ufeff") for name in cells]  # spreadsheets add a BOM
    table = TextTable(path, list(names), [], has_header, sep, encoding, quoting)
    width = len(table.names)
    # Plain lines are checked by counting separators, then split all at once (C speed).
    widths = list(map(len, rows)) if quoting else [n + 1 for n in map(str.count, rows, repeat(sep))]
    if set(widths) - {width}:
        row = next(i for i, w in enumerate(widths) if w != width)
        raise DataError(
            f"{path}, line {table.line_of(row)}: {widths[row]} fields where {width} were "
            f"expected ({table.names}) with separator {sep!r}. Check the separator and "
            "quoting of that line."
        )
    if quoting:
        table.columns.extend(zip(*rows, strict=True) if rows else [() for _ in table.names])
    else:
        flat = sep.join(rows).split(sep) if rows else []
        table.columns.extend(tuple(flat[j::width]) for j in range(width))
    return table


def require_rows(table: TextTable) -> None:
    """Reject a file that has a header but no interactions, before anything else uses it."""
    if len(table) == 0:
        raise DataError(f"{table.path} has no interaction rows; expected at least one.")
