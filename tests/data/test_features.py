"""Item text and metadata codes from side tables (ml-100k atomic and a user's CSV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lgnas.data.features import ItemContent, MetadataSpec, item_metadata, item_texts
from lgnas.data.interactions import Interactions
from lgnas.data.loaders import load_csv
from lgnas.errors import ConfigError, DataError


def test_ml100k_texts_hold_title_year_and_genres(ml100k: Interactions) -> None:
    texts = item_texts(ml100k)
    assert len(texts) == ml100k.num_items
    assert texts[0] == "Toy Story (1995). Genres: Animation Children's Comedy"


def test_ml100k_metadata_is_genre_multi_hot_and_decade_one_hot(ml100k: Interactions) -> None:
    spec = MetadataSpec(multi_hot=["class"], year="release_year", year_bucket=10)
    codes = item_metadata(ml100k, spec)
    genres = {g for row in ml100k.item_features["class"] for g in row.split()}
    years = ml100k.item_features["release_year"]
    known = [y.isdigit() for y in years]  # two items read "unkonwn" and "V"
    assert not all(known)
    decades = {int(y) // 10 for y, ok in zip(years, known) if ok}
    assert codes.shape == (ml100k.num_items, len(genres) + len(decades))
    np.testing.assert_array_equal(
        codes[:, : len(genres)].sum(1), [len(row.split()) for row in ml100k.item_features["class"]]
    )
    # Exactly one decade bit where the year is known, none where it is missing.
    np.testing.assert_array_equal(codes[:, len(genres) :].sum(1), np.array(known, dtype=float))
    exact = item_metadata(ml100k, MetadataSpec(year="release_year", year_bucket=1))
    assert exact.shape[1] == len({y for y, ok in zip(years, known) if ok})


def _csv_with_items(tmp_path: Path) -> Interactions:
    (tmp_path / "inter.csv").write_text("user,item\nu1,a\nu1,b\nu2,b\n")
    (tmp_path / "items.csv").write_text(
        'item,name,description,tags\na,Alpha,"A first, fine item",x y\nb,Beta,Second,y\n'
    )
    return load_csv(tmp_path / "inter.csv", header=True, item_file="items.csv")


def test_csv_text_column_and_template(tmp_path: Path) -> None:
    data = _csv_with_items(tmp_path)
    assert item_texts(data, "{description}") == ["A first, fine item", "Second"]
    assert item_texts(data, "{name}: {description}") == [
        "Alpha: A first, fine item",
        "Beta: Second",
    ]
    codes = item_metadata(data, MetadataSpec(multi_hot=["tags"], one_hot=["name"]))
    np.testing.assert_array_equal(codes, [[1, 1, 1, 0], [0, 1, 0, 1]])


def test_missing_text_column_names_the_columns(tmp_path: Path) -> None:
    data = _csv_with_items(tmp_path)
    with pytest.raises(ConfigError, match=r"column\(s\) \['plot'\].*\['description', 'name'"):
        item_texts(data, "{name} {plot}")
    with pytest.raises(ConfigError, match=r"no default template fits.*set item_features"):
        item_texts(data)
    with pytest.raises(ConfigError, match=r"column\(s\) \['genre'\] not in the item table"):
        item_metadata(data, MetadataSpec(multi_hot=["genre"]))


def test_no_side_table_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "inter.csv").write_text("user,item\nu1,a\n")
    data = load_csv(tmp_path / "inter.csv", header=True)
    with pytest.raises(DataError, match="no item side table"):
        item_texts(data)


def test_item_content_select_concatenates_and_refuses_what_is_missing() -> None:
    content = ItemContent(text=np.ones((3, 4)), meta=np.zeros((3, 2)))
    assert content.select("both").shape == (3, 6)
    with pytest.raises(ConfigError, match=r"item_content='meta'.*provides \['text'\]"):
        ItemContent(text=np.ones((3, 4))).select("meta")
