"""RecBole "atomic files": lets users bring any of RecBole's many converted datasets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.data.loaders._text import (
    TextTable,
    interactions_from_tables,
    read_table,
    require_file,
    side_table,
)
from lgnas.errors import DataError

ATOMIC_TYPES = ("token", "token_seq", "float", "float_seq")


def load_atomic(
    path: str | Path,
    *,
    user_field: str = "user_id",
    item_field: str = "item_id",
    rating_field: str | None = "rating",
    timestamp_field: str | None = "timestamp",
    encoding: str = "utf-8",
) -> Interactions:
    """Load ``<name>.inter`` (and the ``<name>.item`` side table next to it, if present).

    ``path`` is the ``.inter`` file or the dataset folder (``<folder>/<folder>.inter``, or
    the only ``.inter`` file in it). Headers are typed (``name:type``, tab separated);
    fields are found by name. Rating and timestamp are optional: a missing field (or
    ``None``) means implicit feedback or no time order.
    """
    inter_path = _find_inter_file(Path(path).expanduser())
    fields = (user_field, item_field, rating_field, timestamp_field)
    data, _ = _interactions([inter_path], inter_path.with_suffix(".item"), fields, encoding)
    return data


def load_atomic_split(
    path: str | Path,
    *,
    parts: Sequence[str] = ("train", "valid", "test"),
    prefix: str | None = None,
    user_field: str = "user_id",
    item_field: str = "item_id",
    rating_field: str | None = "rating",
    timestamp_field: str | None = "timestamp",
    encoding: str = "utf-8",
) -> tuple[Interactions, np.ndarray]:
    """Load RecBole benchmark files ``<name>.train.inter``, ``.valid.inter``, ``.test.inter``.

    A split someone else made (RecBole's ``benchmark_filename``), so results are measured on
    exactly the same train / validation / test rows as theirs. ``path`` is the folder;
    ``parts`` names the train, validation and test files in that order (validation may be
    left out with two names, to carve it from training instead); ``prefix`` is the file
    names' ``<name>`` (default: the folder's name).

    Returns:
        All rows, and per row its part: 0 train, 1 validation, 2 test.
    """
    folder = Path(path).expanduser()
    if len(parts) not in (2, 3):
        raise DataError(f"atomic_split: parts={list(parts)} must name 2 or 3 files")
    name = prefix or folder.name
    files = [
        require_file(folder / f"{name}.{part}.inter", "RecBole benchmark file") for part in parts
    ]
    fields = (user_field, item_field, rating_field, timestamp_field)
    data, sizes = _interactions(files, folder / f"{name}.item", fields, encoding)
    labels = (0, 1, 2) if len(parts) == 3 else (0, 2)
    return data, np.repeat(np.array(labels, dtype=np.int8), sizes)


def _interactions(
    files: Sequence[Path],
    item_path: Path,
    fields: tuple[str, str, str | None, str | None],
    encoding: str,
) -> tuple[Interactions, list[int]]:
    """Rows of one or more atomic files as one :class:`Interactions`, plus rows per file."""
    user_field, item_field, rating_field, timestamp_field = fields
    tables = [_read_atomic(file, encoding) for file in files]
    columns = {"user": user_field, "item": item_field}
    for role, field in (("rating", rating_field), ("timestamp", timestamp_field)):
        # An optional numeric field: absent unless every file has it.
        if field is not None and all(field in table.names for table in tables):
            columns[role] = field
    item_table = None
    if item_path.is_file():
        item_table = side_table(_read_atomic(item_path, encoding), item_field)
    return interactions_from_tables(tables, columns, item_table, item_field)


def _find_inter_file(path: Path) -> Path:
    """The .inter file a file-or-folder argument points at."""
    if not path.is_dir():
        return require_file(path, "RecBole atomic dataset (<name>.inter, or its folder)")
    preferred = path / f"{path.name}.inter"
    if preferred.is_file():
        return preferred
    found = sorted(path.glob("*.inter"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise DataError(
            f"no *.inter file in {path}; a RecBole atomic dataset folder holds "
            f"<name>.inter (e.g. {preferred.name}). Pass the .inter file or its folder."
        )
    raise DataError(
        f"{path} holds several .inter files ({[p.name for p in found]}) and none is "
        f"{preferred.name}; pass the one to load."
    )


def _read_atomic(path: Path, encoding: str) -> TextTable:
    """Read an atomic file, stripping the ``:type`` suffix from its header names."""
    table = read_table(path, sep="\t", encoding=encoding, quoting=False)
    for position, cell in enumerate(table.names):
        name, colon, kind = cell.rpartition(":")
        if not colon or not name or kind not in ATOMIC_TYPES:
            raise DataError(
                f"{path}, line 1: header field {cell!r} is not 'name:type' with type one of "
                f"{list(ATOMIC_TYPES)}; atomic files need a typed header such as "
                "'user_id:token'."
            )
        table.names[position] = name
    return table
