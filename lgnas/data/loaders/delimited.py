"""Generic CSV/TSV files with a header row: the format most users' own data arrives in."""

from __future__ import annotations

from pathlib import Path

from lgnas.data.interactions import Interactions
from lgnas.data.loaders._text import read_table, require_file, require_rows


def load_csv(
    path: str | Path,
    user_col: str,
    item_col: str,
    rating_col: str | None = None,
    timestamp_col: str | None = None,
    sep: str = ",",
    item_file: str | Path | None = None,
    item_id_col: str | None = None,
    item_sep: str | None = None,
    encoding: str = "utf-8",
) -> Interactions:
    """Load interactions from a delimited file with a header, naming the columns to use.

    Tokens may be anything (ints, strings, UUIDs). Ratings and timestamps must be numeric
    (timestamps as Unix seconds or any monotone number). ``item_file`` is an optional side
    table (same ``encoding``; separator ``item_sep``, default ``sep``) whose id column is
    ``item_id_col`` (default ``item_col``); its other columns become item features. A
    relative ``item_file`` that does not exist as given is looked up next to ``path``.
    """
    inter_path = require_file(path, "interaction file")
    table = read_table(inter_path, sep=sep, encoding=encoding)
    require_rows(table)
    item_table = None
    id_col = item_id_col or item_col
    if item_file is not None:
        side_path = Path(item_file).expanduser()
        if not side_path.is_absolute() and not side_path.exists():
            side_path = inter_path.parent / side_path
        side = read_table(
            require_file(side_path, "item side-table file"),
            sep=item_sep or sep,
            encoding=encoding,
        )
        side.index_of(id_col, "item")
        item_table = dict(zip(side.names, side.columns, strict=True))
    return Interactions.from_tokens(
        table.tokens(user_col, "user"),
        table.tokens(item_col, "item"),
        rating=None if rating_col is None else table.numbers(rating_col, "rating"),
        timestamp=None if timestamp_col is None else table.numbers(timestamp_col, "timestamp"),
        item_table=item_table,
        item_key=id_col,
    )
