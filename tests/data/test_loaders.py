from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from lgnas.data.catalog import prepare_dataset
from lgnas.data.interactions import Interactions
from lgnas.data.loaders import (
    load_atomic,
    load_atomic_split,
    load_csv,
    load_grouplens_100k,
    load_lightgcn,
    load_pyg,
)
from lgnas.data.synthetic import generate_synthetic
from lgnas.errors import DataError

UUIDS = [
    "3f2b8c1e-9d4a-4c2e-8f7b-1a2b3c4d5e6f",
    "a0e1b2c3-d4e5-4f60-9172-8394a5b6c7d8",
    "00000000-0000-4000-8000-000000000001",
]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


def tokens(data: Interactions) -> list[tuple[str, str]]:
    """Each row as its original (user, item) tokens."""
    return list(zip(data.user_ids[data.user], data.item_ids[data.item], strict=True))


# --- real data -------------------------------------------------------------------------------


def test_atomic_loads_ml100k(ml100k: Interactions) -> None:
    assert (ml100k.num_users, ml100k.num_items, len(ml100k)) == (943, 1682, 100_000)
    assert ml100k.user.dtype == np.int64 and ml100k.item.dtype == np.int64
    assert ml100k.rating is not None and ml100k.rating.dtype == np.float32
    assert set(np.unique(ml100k.rating)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert ml100k.timestamp is not None and ml100k.timestamp[0] == 881250949.0
    # First data line of ml-100k.inter is "196 242 3 881250949"; integer tokens sort numerically.
    assert tokens(ml100k)[0] == ("196", "242") and ml100k.rating[0] == 3.0
    assert list(ml100k.item_ids[:3]) == ["1", "2", "3"]
    features = ml100k.item_features
    assert features is not None and set(features) == {"movie_title", "release_year", "class"}
    toy_story = int(np.flatnonzero(ml100k.item_ids == "1")[0])
    assert features["movie_title"][toy_story] == "Toy Story"
    assert features["class"][toy_story] == "Animation Children's Comedy"
    assert (features["movie_title"] != "").all()


def test_atomic_accepts_the_inter_file_itself(data_dir: Path, ml100k: Interactions) -> None:
    direct = load_atomic(data_dir / "ml-100k" / "ml-100k.inter")
    np.testing.assert_array_equal(direct.item, ml100k.item)


def test_lightgcn_loads_gowalla_split(gowalla: tuple[Interactions, np.ndarray]) -> None:
    data, is_test = gowalla
    assert (data.num_users, data.num_items) == (29_858, 40_981)
    assert (int((~is_test).sum()), int(is_test.sum())) == (810_128, 217_242)
    assert is_test.dtype == bool and len(is_test) == len(data) == 1_027_370
    # Ids are kept as published: token "k" is dense id k.
    assert data.user_ids[123] == "123" and data.item_ids[40_980] == "40980"
    # train.txt starts "0 0 1 2 3 ...": user 0's first training items.
    assert list(data.item[:4]) == [0, 1, 2, 3] and (data.user[:4] == 0).all()
    assert data.rating is None and data.timestamp is None


# --- small files in every format ---------------------------------------------------------------


def test_atomic_string_tokens_without_rating_or_side_rows(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    write(
        folder / "shop.inter",
        "user_id:token\titem_id:token\ttimestamp:float\n"
        f"{UUIDS[0]}\tsku-b\t10\n{UUIDS[1]}\tsku-a\t20\n{UUIDS[0]}\tsku-c\t30\n",
    )
    write(folder / "shop.item", 'item_id:token\tname:token_seq\nsku-a\tRed "Mug"\nsku-z\tGone\n')
    data = load_atomic(folder)
    assert data.rating is None and list(data.timestamp) == [10.0, 20.0, 30.0]
    assert tokens(data) == [(UUIDS[0], "sku-b"), (UUIDS[1], "sku-a"), (UUIDS[0], "sku-c")]
    names = dict(zip(data.item_ids, data.item_features["name"], strict=True))
    assert names == {"sku-a": 'Red "Mug"', "sku-b": "", "sku-c": ""}  # sku-z never interacted


def test_grouplens_raw_files(tmp_path: Path) -> None:
    write(tmp_path / "u.data", "1\t10\t5\t881250949\n2\t10\t3\t881250950\n1\t2\t4\t881250951\n")
    flags = ["0"] * 19
    flags[1] = flags[15] = "1"  # Action, Sci-Fi
    write(
        tmp_path / "u.item",
        "10|Amélie (2001)|01-Jan-2001||http://x|" + "|".join(flags) + "\n"
        "2|GoldenEye (1995)|01-Jan-1995||http://y|" + "|".join(["1"] + ["0"] * 18) + "\n",
        encoding="latin-1",
    )
    data = load_grouplens_100k(tmp_path)
    assert (data.num_users, data.num_items, len(data)) == (2, 2, 3)
    assert list(data.item_ids) == ["2", "10"]  # numeric, not lexicographic, order
    assert tokens(data) == [("1", "10"), ("2", "10"), ("1", "2")]
    assert list(data.rating) == [5.0, 3.0, 4.0]
    features = data.item_features
    assert features["title"][1] == "Amélie (2001)"
    assert features["genres"][1] == "Action Sci-Fi" and features["genres"][0] == "unknown"
    assert features["release_date"][0] == "01-Jan-1995"


def test_csv_with_uuid_tokens_and_item_side_table(tmp_path: Path) -> None:
    write(
        tmp_path / "events.csv",
        "who,what,stars,when\n"
        f"{UUIDS[2]},B-7,4.5,1700000000\n{UUIDS[0]},A-1,2,1700000100\n"
        f"{UUIDS[2]},A-1,1,1700000200\n",
    )
    write(tmp_path / "items.csv", 'sku,title\nA-1,"Chair, oak"\nB-7,Desk\n')
    data = load_csv(
        tmp_path / "events.csv",
        columns={"user": "who", "item": "what", "rating": "stars", "timestamp": "when"},
        item_file="items.csv",
        item_id_col="sku",
    )
    assert tokens(data) == [(UUIDS[2], "B-7"), (UUIDS[0], "A-1"), (UUIDS[2], "A-1")]
    assert (data.num_users, data.num_items) == (2, 2)
    assert list(data.rating) == [4.5, 2.0, 1.0] and data.timestamp[2] == 1_700_000_200.0
    titles = dict(zip(data.item_ids, data.item_features["title"], strict=True))
    assert titles == {"A-1": "Chair, oak", "B-7": "Desk"}


def test_csv_tab_separated_tokens_are_never_rejected_or_merged(tmp_path: Path) -> None:
    write(tmp_path / "x.tsv", "u\ti\n7\t007\n07\t7\n7\t7\nü ser\t\n")
    data = load_csv(tmp_path / "x.tsv", columns={"user": "u", "item": "i"}, sep="\t")
    assert tokens(data) == [("7", "007"), ("07", "7"), ("7", "7"), ("ü ser", "")]
    assert data.num_users == 3 and data.num_items == 3


def test_lightgcn_allows_users_without_items(tmp_path: Path) -> None:
    write(tmp_path / "train.txt", "0 1 2\n1\n3 0\n")
    write(tmp_path / "test.txt", "0 3\n4\n")
    data, is_test = load_lightgcn(tmp_path)
    assert data.num_users == 5 and data.num_items == 4  # users 1 and 4 have no items
    assert list(zip(data.user, data.item, strict=True)) == [(0, 1), (0, 2), (3, 0), (0, 3)]
    assert list(is_test) == [False, False, False, True]


# --- synthetic -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic() -> Interactions:
    return generate_synthetic(2000, 3000, 60_000, num_communities=8, seed=3)


def test_synthetic_sizes_and_unique_pairs(synthetic: Interactions) -> None:
    assert (synthetic.num_users, synthetic.num_items, len(synthetic)) == (2000, 3000, 60_000)
    codes = synthetic.user * synthetic.num_items + synthetic.item
    assert len(np.unique(codes)) == len(synthetic)
    assert synthetic.timestamp is not None and (np.diff(synthetic.timestamp) >= 0).all()
    small = generate_synthetic(5, 4, 20, num_communities=2)  # every pair
    assert len(np.unique(small.user * 4 + small.item)) == 20


def test_synthetic_is_seeded() -> None:
    first, again = (
        generate_synthetic(300, 400, 5000, seed=7),
        generate_synthetic(300, 400, 5000, seed=7),
    )
    other = generate_synthetic(300, 400, 5000, seed=8)
    for name in ("user", "item", "timestamp"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.item, other.item)


def test_synthetic_degrees_are_skewed(synthetic: Interactions) -> None:
    for ids, size in ((synthetic.item, synthetic.num_items), (synthetic.user, synthetic.num_users)):
        degree = np.sort(np.bincount(ids, minlength=size))[::-1]
        assert degree[: size // 10].sum() > 0.3 * len(synthetic)
    uniform = generate_synthetic(2000, 3000, 60_000, alpha=0.0, seed=3)
    degree = np.sort(np.bincount(uniform.item, minlength=3000))[::-1]
    assert degree[:300].sum() < 0.2 * len(uniform)


def test_synthetic_users_stay_mostly_in_one_community(synthetic: Interactions) -> None:
    community = synthetic.item_features["community"].astype(int)
    assert sorted(np.unique(community)) == list(range(8))
    counts = np.zeros((synthetic.num_users, 8))
    np.add.at(counts, (synthetic.user, community[synthetic.item]), 1)
    active = counts.sum(1) >= 10
    share = counts[active].max(1) / counts[active].sum(1)
    assert share.mean() > 0.6  # 1/8 plus noise if communities were not planted


def test_synthetic_rejects_impossible_sizes() -> None:
    with pytest.raises(DataError, match=r"num_interactions=13 exceeds .*12"):
        generate_synthetic(3, 4, 13)
    with pytest.raises(DataError, match="num_communities=9"):
        generate_synthetic(5, 8, 10, num_communities=9)


# --- PyG -------------------------------------------------------------------------------------


def test_pyg_offline_gives_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match="internet") as error:
        load_pyg("AmazonBook", tmp_path)
    assert "LGNAS_DATA_DIR" in str(error.value) and str(tmp_path) in str(error.value)
    assert not list((tmp_path / "raw").glob("*.txt"))  # no stub left that looks complete


def test_pyg_reuses_files_already_under_root(tmp_path: Path) -> None:
    write(tmp_path / "books" / "raw" / "train.txt", "0 1 2\n1 0\n")
    write(tmp_path / "books" / "raw" / "test.txt", "0 0\n")
    data, is_test = load_pyg("AmazonBook", tmp_path / "books")
    assert len(data) == 4 and list(is_test) == [False, False, False, True]
    write(tmp_path / "ml" / "raw" / "u.data", "1\t2\t3\t4\n")
    movies, mask = load_pyg("movielens100k", tmp_path / "ml")
    assert mask is None and tokens(movies) == [("1", "2")]


def test_pyg_unknown_dataset_lists_supported(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"'Cora'.*AmazonBook.*MovieLens100K"):
        load_pyg("Cora", tmp_path)


# --- bad input: one clear DataError each ------------------------------------------------------


def test_missing_paths_name_the_path_and_data_dir_variable(tmp_path: Path) -> None:
    cases = [
        (lambda: load_atomic(tmp_path / "nope.inter"), "nope.inter"),
        (lambda: load_grouplens_100k(tmp_path / "ml-100k"), "ml-100k"),
        (lambda: load_csv(tmp_path / "x.csv"), "x.csv"),
    ]
    for call, name in cases:
        with pytest.raises(DataError, match="LGNAS_DATA_DIR") as error:
            call()
        assert name in str(error.value) and "not found" in str(error.value)
    write(tmp_path / "train.txt", "0 1\n")
    with pytest.raises(DataError, match=r"test\.txt"):
        load_lightgcn(tmp_path)


def test_missing_column_lists_columns_found(tmp_path: Path) -> None:
    write(tmp_path / "d" / "d.inter", "uid:token\titem_id:token\n1\t2\n")
    with pytest.raises(DataError, match=r"d\.inter.*'user_id'.*\['uid', 'item_id'\]"):
        load_atomic(tmp_path / "d")
    write(tmp_path / "x.csv", "user,item\n1,2\n")
    with pytest.raises(DataError, match=r"x\.csv.*rating column 'score'.*\['user', 'item'\]"):
        load_csv(tmp_path / "x.csv", columns={"user": "user", "item": "item", "rating": "score"})


@pytest.mark.parametrize(
    ("column", "row", "bad"),
    [("rating", "7\t8\tfive\t100", "five"), ("timestamp", "7\t8\t5\t2024-01-01", "2024-01-01")],
)
def test_non_numeric_values_name_file_column_line_value(
    tmp_path: Path, column: str, row: str, bad: str
) -> None:
    header = "user_id:token\titem_id:token\trating:float\ttimestamp:float"
    write(tmp_path / "m" / "m.inter", f"{header}\n1\t2\t3\t4\n\n{row}\n")
    with pytest.raises(DataError) as error:
        load_atomic(tmp_path / "m")
    message = str(error.value)
    assert "m.inter" in message and f"'{column}'" in message
    assert "line 4" in message and repr(bad) in message


def test_csv_non_numeric_rating_and_nan_are_rejected(tmp_path: Path) -> None:
    write(tmp_path / "r.csv", "u,i,r\na,b,4\na,c,nan\n")
    with pytest.raises(DataError, match=r"r\.csv, line 3: rating column 'r' holds 'nan'"):
        load_csv(tmp_path / "r.csv", columns={"user": "u", "item": "i", "rating": "r"})


def test_ragged_rows_and_bad_tokens_give_line_numbers(tmp_path: Path) -> None:
    write(tmp_path / "r.csv", "u,i\na,b\na,b,c\n")
    with pytest.raises(DataError, match=r"r\.csv, line 3: 3 fields where 2"):
        load_csv(tmp_path / "r.csv", columns={"user": "u", "item": "i"})
    write(tmp_path / "lg" / "train.txt", "0 1\n1 x2\n")
    write(tmp_path / "lg" / "test.txt", "")
    with pytest.raises(DataError, match=r"train\.txt, line 2: 'x2'"):
        load_lightgcn(tmp_path / "lg")


def test_untyped_atomic_header_is_explained(tmp_path: Path) -> None:
    write(tmp_path / "a.inter", "user_id\titem_id:token\n1\t2\n")
    with pytest.raises(DataError, match=r"a\.inter, line 1: header field 'user_id'"):
        load_atomic(tmp_path / "a.inter")


def test_empty_data_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "e.csv", "u,i\n")
    with pytest.raises(DataError, match=r"e\.csv has no interaction rows"):
        load_csv(tmp_path / "e.csv", columns={"user": "u", "item": "i"})
    write(tmp_path / "lg" / "train.txt", "0\n")
    write(tmp_path / "lg" / "test.txt", "1\n")
    with pytest.raises(DataError, match="no interactions"):
        load_lightgcn(tmp_path / "lg")


def test_atomic_split_keeps_the_given_parts(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "ml-100k" / "ml-100k.inter").read_text().splitlines()
    header, rows = lines[0], lines[1:301]
    folder = tmp_path / "bench"
    folder.mkdir()
    chunks = {"train": rows[:200], "valid": rows[200:250], "test": rows[250:]}
    for part, chunk in chunks.items():
        (folder / f"bench.{part}.inter").write_text("\n".join([header, *chunk]) + "\n")
    config = {"name": "bench", "format": "atomic_split", "path": str(folder), "unseen": "keep"}
    split = prepare_dataset(config, 0)
    for part, got in (("train", split.train), ("valid", split.valid), ("test", split.test)):
        expected = {tuple(r.split("\t")[:2]) for r in chunks[part]}
        assert {(got.user_ids[u], got.item_ids[i]) for u, i in zip(got.user, got.item)} == expected


def test_atomic_split_names_a_missing_part(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    with pytest.raises(DataError, match=r"bench\.train\.inter"):
        load_atomic_split(tmp_path / "bench")
