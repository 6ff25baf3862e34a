"""RecBole "atomic files": lets users bring any of RecBole's many converted datasets."""

from __future__ import annotations

from pathlib import Path

from lgnas.data.interactions import Interactions
from lgnas.data.loaders._text import TextTable, read_table, require_file, require_rows
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
    table = _read_atomic(inter_path, encoding)
    require_rows(table)
    names = set(table.names)
    item_path = inter_path.with_suffix(".item")
    item_table = None
    if item_path.is_file():
        side = _read_atomic(item_path, encoding)
        side.index_of(item_field, "item")
        item_table = dict(zip(side.names, side.columns, strict=True))
    return Interactions.from_tokens(
        table.tokens(user_field, "user"),
        table.tokens(item_field, "item"),
        rating=table.numbers(rating_field, "rating") if rating_field in names else None,
        timestamp=(
            table.numbers(timestamp_field, "timestamp") if timestamp_field in names else None
        ),
        item_table=item_table,
        item_key=item_field,
    )


def _find_inter_file(path: Path) -> Path:
    """The .inter file a file-or-folder argument points at."""
    if not path.is_dir():
        return require_file(path, "RecBole atomic interaction file")
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
