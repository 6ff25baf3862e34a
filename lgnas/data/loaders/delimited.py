"""Delimited text files of interactions (CSV, TSV, whitespace), with or without a header, as
one file or as the train / validation / test files of a split someone else made: the shapes
most users' own data and many published splits arrive in."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.data.loaders._text import (
    TextTable,
    interactions_from_tables,
    is_position,
    read_table,
    require_file,
    side_table,
)
from lgnas.errors import ConfigError

ROLES = ("user", "item", "rating", "timestamp")
SEPARATORS: dict[str, str | None] = {
    "tab": "\t",
    "\\t": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
    "space": " ",
    "whitespace": None,
}
"""Separators by name (handy on a command line); ``whitespace`` is any run of spaces and tabs."""
HEADER_NAMES = {
    "user": ("user", "user_id"),
    "item": ("item", "item_id"),
    "rating": ("rating",),
    "timestamp": ("timestamp",),
}
"""Header names found without ``columns`` (any case); rating and timestamp only if present."""
_PARTS = ("train", "valid", "test")


def load_csv(
    path: str | Path | None = None,
    *,
    train: str | Path | None = None,
    valid: str | Path | None = None,
    test: str | Path | None = None,
    columns: Mapping[str, str | int] | None = None,
    header: bool | None = None,
    sep: str = ",",
    item_file: str | Path | None = None,
    item_id_col: str | None = None,
    item_sep: str | None = None,
    encoding: str = "utf-8",
    user_col: str | None = None,
    item_col: str | None = None,
    rating_col: str | None = None,
    timestamp_col: str | None = None,
) -> Interactions | tuple[Interactions, np.ndarray]:
    """Load interactions from delimited text: one file, or a split's files in one format.

    Give ``path`` (one file, split later as the dataset's ``split`` says), or ``train`` and
    ``test`` with an optional ``valid``: a split someone else made, kept as it is. Tokens may
    be anything (ints, strings, UUIDs) and map to the same ids in every file.

    Args:
        columns: Where each role is: ``user`` and ``item``, optionally ``rating`` and
            ``timestamp`` (numeric; timestamps as Unix seconds or any monotone number),
            by header name or by 0-based position (``{user: 0, item: 1, rating: 2}``).
            Without it: with a header, the columns named as :data:`HEADER_NAMES` says;
            without one, user 0 and item 1.
        header: Whether the first line names the columns; default: yes when ``columns``
            gives names (or ``columns`` is unset and ``header`` true), no for positions.
        sep: The delimiter: one character, a longer string (``::`` as in MovieLens-1M's
            ``ratings.dat``; such files are read without CSV quoting), or a name of
            :data:`SEPARATORS` (``whitespace``: runs of spaces and tabs; ``tab`` or ``\\t``:
            a tab).
        item_file: An optional side table with a header (same ``encoding``; separator
            ``item_sep``, default ``sep``) whose id column is ``item_id_col`` (default: the
            item column's name, else the side table's first column); its other columns
            become item features. A relative path that does not exist as given is looked up
            next to the (train) file.
        user_col, item_col, rating_col, timestamp_col: The older spelling of ``columns``
            (deprecated).

    Returns:
        The interactions; with ``train``/``test`` also each row's part (0 train, 1
        validation, 2 test).
    """
    files = _files(path, train, valid, test)
    legacy = {"user": user_col, "item": item_col, "rating": rating_col, "timestamp": timestamp_col}
    columns = _legacy_columns(columns, legacy)
    if columns is not None:
        columns = _checked_columns(columns)
    if header is None:
        header = columns is not None and any(not is_position(c) for c in columns.values())
    delimiter = separator(sep, "sep")
    tables = [
        read_table(file, sep=delimiter, header=header, encoding=encoding, quoting=quotes(delimiter))
        for file in files.values()
    ]
    if columns is None:
        columns = _named_columns(tables[0]) if header else {"user": 0, "item": 1}
    item_table = None
    if item_file is not None:
        side = _side_path(item_file, next(iter(files.values())))
        side_sep = delimiter if item_sep is None else separator(item_sep, "item_sep")
        table = read_table(side, sep=side_sep, encoding=encoding, quoting=quotes(side_sep))
        item_id_col = item_id_col or _name_or(columns["item"], table.names[0])
        item_table = side_table(table, item_id_col)
    data, sizes = interactions_from_tables(tables, columns, item_table, item_id_col or "item_id")
    if path is not None:
        return data
    labels = np.array([_PARTS.index(part) for part in files], dtype=np.int8)
    return data, np.repeat(labels, sizes)


def separator(sep: str, option: str) -> str | None:
    """The delimiter ``sep`` means (``None``: runs of whitespace); a ConfigError otherwise."""
    if isinstance(sep, str) and sep.lower() in SEPARATORS:
        return SEPARATORS[sep.lower()]
    if isinstance(sep, str) and sep and not set(sep) & set('"\r\n'):
        return sep
    raise ConfigError(
        f"{option}={sep!r} is not a delimiter: give one character (e.g. ',' or ';'), a string "
        f"such as '::', or one of {sorted(SEPARATORS)} (whitespace: runs of spaces and tabs)."
    )


def quotes(sep: str | None) -> bool:
    """Whether CSV quoting applies: only a one-character delimiter has it (Python's csv
    module, like the files themselves, knows no quoting around ``::``)."""
    return sep is not None and len(sep) == 1


def _files(
    path: str | Path | None,
    train: str | Path | None,
    valid: str | Path | None,
    test: str | Path | None,
) -> dict[str, Path]:
    """The files to read by part (``path`` alone is the single file)."""
    parts = {"train": train, "valid": valid, "test": test}
    given = {part: file for part, file in parts.items() if file is not None}
    if path is not None and given:
        raise ConfigError(
            f"csv: give either 'path' (one file to split) or 'train' and 'test' (a split "
            f"already made), not both; got path={str(path)!r} and {sorted(given)}."
        )
    if path is not None:
        return {"path": require_file(path, "interaction file")}
    if train is None or test is None:
        missing = [part for part in ("train", "test") if parts[part] is None]
        raise ConfigError(
            f"csv: a split given as files needs 'train' and 'test' ('valid' is optional); "
            f"{missing} missing. For one file to split, give 'path' instead."
        )
    return {part: require_file(file, f"{part} file") for part, file in given.items()}


def _legacy_columns(
    columns: Mapping[str, str | int] | None, legacy: Mapping[str, str | None]
) -> Mapping[str, str | int] | None:
    """``columns``, or the one the deprecated ``*_col`` options spell."""
    named = {role: column for role, column in legacy.items() if column is not None}
    if not named:
        return columns
    if columns is not None:
        raise ConfigError(
            f"csv: give the columns once, in 'columns'; the older {sorted(named)} options "
            "are also set."
        )
    warnings.warn(
        "csv options user_col, item_col, rating_col and timestamp_col are deprecated; use "
        f"columns: {named}",
        DeprecationWarning,
        stacklevel=3,
    )
    return named


def _checked_columns(columns: Mapping[str, str | int]) -> dict[str, str | int]:
    """The ``columns`` mapping, refused with the fix when a role or a value is off."""
    columns = dict(columns)
    unknown = sorted(set(columns) - set(ROLES))
    missing = [role for role in ("user", "item") if columns.get(role) is None]
    wrong = {
        role: column
        for role, column in columns.items()
        if not (is_position(column) and column >= 0) and not (isinstance(column, str) and column)
    }
    if unknown or missing or wrong:
        raise ConfigError(
            f"csv: columns={columns} must map user and item (and optionally rating, "
            "timestamp) to a header name or a 0-based position, e.g. {user: 0, item: 1, "
            f"rating: 2}}; unknown roles {unknown}, missing {missing}, bad values {wrong}."
        )
    return columns


def _named_columns(table: TextTable) -> dict[str, str | int]:
    """The roles a header names by :data:`HEADER_NAMES`; user and item must be among them."""
    lower = {name.lower(): name for name in table.names}
    found = {}
    for role, names in HEADER_NAMES.items():
        name = next((lower[n] for n in names if n in lower), None)
        if name is not None:
            found[role] = name
    if "user" not in found or "item" not in found:
        missing = [f"{role} ({' or '.join(HEADER_NAMES[role])})" for role in ("user", "item")]
        raise ConfigError(
            f"{table.path}: the header {table.names} names no {' and no '.join(missing)} "
            f"column; say which in columns, e.g. {{user: {table.names[0]}, item: "
            f"{table.names[-1]}}}."
        )
    return found


def _side_path(item_file: str | Path, interactions: Path) -> Path:
    side = Path(item_file).expanduser()
    if not side.is_absolute() and not side.exists():
        side = interactions.parent / side
    return require_file(side, "item side-table file")


def _name_or(column: str | int, default: str) -> str:
    return default if is_position(column) else str(column)
