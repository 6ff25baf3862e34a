"""The raw GroupLens MovieLens 100K release (``u.data``, ``u.item``), as GroupLens ships it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.data.loaders._text import read_table, require_dir, require_file, require_rows

GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
_RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
_ITEM_COLUMNS = ("item_id", "title", "release_date", "video_release_date", "imdb_url", *GENRES)


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
