"""The raw GroupLens MovieLens 100K release (``u.data``, ``u.item``, ``u.user``), as GroupLens
ships it: loaded directly, or converted to the RecBole atomic files lgnas's ``ml100k`` reads."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.data.loaders._text import read_table, require_dir, require_file, require_rows
from lgnas.errors import DataError

GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
_RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
_ITEM_COLUMNS = ("item_id", "title", "release_date", "video_release_date", "imdb_url", *GENRES)
ATOMIC_HEADERS = {
    "inter": "user_id:token\titem_id:token\trating:float\ttimestamp:float",
    "item": "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq",
    "user": "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token",
}
# Title and year RecBole's copy (the reference data, the published results) gives the one movie
# whose title has no "(year)" (item 267, "unknown"); kept, so both copies hold the same text.
_UNTITLED = "unkonwn"


def load_grouplens_100k(path: str | Path) -> Interactions:
    """Load ``u.data`` ratings with ``u.item`` titles, release dates and genres as features.

    ``u.item`` is optional (no item features without it). Genres become one space-separated
    string per item, matching RecBole's ``class`` field for the same data.
    """
    folder = require_dir(path, "MovieLens 100K folder (with u.data, u.item)")
    ratings = read_table(
        require_file(folder / "u.data", "MovieLens 100K ratings file"),
        sep="\t",
        names=_RATING_COLUMNS,
        quoting=False,
    )
    require_rows(ratings)
    item_table = None
    if (folder / "u.item").is_file():
        # GroupLens ships u.item in ISO-8859-1 (accented titles), not UTF-8.
        items = read_table(
            folder / "u.item", sep="|", names=_ITEM_COLUMNS, encoding="latin-1", quoting=False
        )
        flags = np.array(items.columns[len(_ITEM_COLUMNS) - len(GENRES) :], dtype=str).T == "1"
        genres = [" ".join(np.array(GENRES)[row]) for row in flags]
        item_table = {
            "item_id": items.tokens("item_id", "item"),
            "title": items.tokens("title", "title"),
            "release_date": items.tokens("release_date", "release date"),
            "genres": np.array(genres, dtype=str),
        }
    return Interactions.from_tokens(
        ratings.tokens("user_id", "user"),
        ratings.tokens("item_id", "item"),
        rating=ratings.numbers("rating", "rating"),
        timestamp=ratings.numbers("timestamp", "timestamp"),
        item_table=item_table,
    )


def write_grouplens_100k_atomic(archive: str | Path, folder: str | Path) -> Path:
    """Convert GroupLens's ``ml-100k.zip`` into RecBole atomic files in ``folder``.

    Writes ``<folder name>.inter`` (``u.data`` under a typed header: the bytes of RecBole's
    ``ml-100k.inter``), ``.item`` (title and release year split from ``u.item``'s "Title
    (1995)" as RecBole splits them, genres by name) and ``.user``, so ``format: atomic``
    reads a fetched copy as it reads RecBole's.
    """
    folder = Path(folder)
    with zipfile.ZipFile(archive) as zipped:
        members = {Path(name).name: name for name in zipped.namelist()}
        missing = [name for name in ("u.data", "u.item", "u.user") if name not in members]
        if missing:
            raise DataError(
                f"{archive} lacks {missing}; it is not GroupLens's MovieLens 100K archive"
            )
        ratings = zipped.read(members["u.data"]).decode("ascii")
        # GroupLens ships u.item in ISO-8859-1 (accented titles); the atomic files are UTF-8.
        items = zipped.read(members["u.item"]).decode("latin-1")
        users = zipped.read(members["u.user"]).decode("ascii")
    tables = {
        "inter": ratings.splitlines(),
        "item": [_atomic_item(line) for line in items.splitlines() if line],
        "user": [line.replace("|", "\t") for line in users.splitlines() if line],
    }
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, rows in tables.items():
        text = "\n".join([ATOMIC_HEADERS[suffix], *rows]) + "\n"
        (folder / f"{folder.name}.{suffix}").write_text(text, encoding="utf-8")
    return folder


def _atomic_item(line: str) -> str:
    """One ``u.item`` line as an atomic ``.item`` row: id, title, year, genres."""
    fields = line.split("|")
    title, _, year = fields[1].strip().rpartition(" (")
    if not title or not year.endswith(")"):
        title, year = _UNTITLED, _UNTITLED + ")"
    flags = fields[len(_ITEM_COLUMNS) - len(GENRES) :]
    genres = " ".join(genre for genre, flag in zip(GENRES, flags) if flag == "1")
    return "\t".join((fields[0], title, year[:-1], genres))
