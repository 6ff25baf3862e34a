"""Your own data in the shapes people have it: delimited files with or without a header, one
file or a split's files, load into the same Interactions and split as RecBole atomic files
written from the same rows; bad lines are all named, unseen ids and merges are counted."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lgnas.data.catalog import prepare_dataset
from lgnas.data.loaders import load_csv, load_lightgcn
from lgnas.data.preprocess import compact
from lgnas.data.splits import Split, split_predefined
from lgnas.errors import ConfigError, DataError

TYPES = {"user": "user_id:token", "item": "item_id:token", "rating": "rating:float"}
TYPES["timestamp"] = "timestamp:float"
POSITIONS = {"user": 0, "item": 1, "rating": 2, "timestamp": 3}


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> list[list[str]]:
    """The first 3,000 ratings of ml-100k: user, item, rating, timestamp."""
    lines = (data_dir / "ml-100k" / "ml-100k.inter").read_text().splitlines()[1:3001]
    return [line.split("\t") for line in lines]


def published(rows: list[list[str]], with_valid: bool) -> dict[str, list[list[str]]]:
    """A split someone else made: every 10th row to test (and the next to validation)."""
    parts: dict[str, list[list[str]]] = {"train": [], "valid": [], "test": []}
    for index, row in enumerate(rows):
        part = {0: "test", 1: "valid" if with_valid else "train"}.get(index % 10, "train")
        parts[part].append(row)
    return {part: chunk for part, chunk in parts.items() if chunk}


def write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def atomic(path: Path, rows: list[list[str]], roles: tuple[str, ...]) -> Path:
    """``rows`` as a RecBole atomic file holding the columns of ``roles``."""
    header = "\t".join(TYPES[role] for role in roles)
    body = ["\t".join(row[POSITIONS[role]] for role in roles) for row in rows]
    return write(path, [header, *body])


def assert_same(got: Split, expected: Split) -> None:
    """The same interactions, id maps and split, array by array."""
    for part in ("train", "valid", "test"):
        a, b = getattr(got, part), getattr(expected, part)
        assert len(a) > 0, f"{part} is empty"
        for field in ("user", "item", "rating", "timestamp", "user_ids", "item_ids"):
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None) == (y is None), field
            if x is not None:
                np.testing.assert_array_equal(x, y, err_msg=f"{part}.{field}")
    assert got.seed == expected.seed and got.note == expected.note


def test_headerless_tsv_pair_loads_as_the_atomic_split(rows, tmp_path: Path) -> None:
    parts = published(rows, with_valid=False)
    files = {
        part: write(tmp_path / f"{part}.tsv", ["\t".join(row) for row in chunk])
        for part, chunk in parts.items()
    }
    for part, chunk in parts.items():
        atomic(tmp_path / "bench" / f"bench.{part}.inter", chunk, tuple(POSITIONS))
    tsv = {
        "name": "mine",
        "format": "csv",
        **{part: str(file) for part, file in files.items()},
        "options": {"sep": "tab", "columns": POSITIONS},
    }
    bench = {"name": "mine", "format": "atomic_split", "path": str(tmp_path / "bench")}
    bench["options"] = {"parts": ["train", "test"]}
    # Validation is carved from train with dataset.split.seed (default 0), whatever the seed.
    expected = prepare_dataset(bench, seed=0)
    assert_same(prepare_dataset(tsv, seed=3), expected)
    assert expected.seed == 0 and "dataset.split.seed=0" in expected.note
    same_data = prepare_dataset({**tsv, "options": {"sep": "\\t", "columns": POSITIONS}}, 0)
    assert_same(same_data, expected)  # '\t' as typed on a command line


def test_headerless_whitespace_triple_loads_as_the_atomic_split(rows, tmp_path: Path) -> None:
    parts = published(rows, with_valid=True)
    assert set(parts) == {"train", "valid", "test"}
    gaps = [" ", "\t", "   ", " \t "]
    files = {}
    for part, chunk in parts.items():
        lines = [
            f"{gaps[n % 4]}{row[0]}{gaps[(n + 1) % 4]}{row[1]}{gaps[(n + 2) % 4]}{row[2]}  "
            for n, row in enumerate(chunk)
        ]
        files[part] = str(write(tmp_path / f"{part}.txt", ["", *lines, "   "]))  # blank lines
        atomic(tmp_path / "bench" / f"bench.{part}.inter", chunk, ("user", "item", "rating"))
    columns = {"user": 0, "item": 1, "rating": 2}
    spaced = {"name": "mine", "format": "csv", **files}
    spaced["options"] = {"sep": "whitespace", "columns": columns}
    bench = {"name": "mine", "format": "atomic_split", "path": str(tmp_path / "bench")}
    expected = prepare_dataset(bench, seed=1)
    assert_same(prepare_dataset(spaced, seed=1), expected)
    assert expected.seed is None and "nothing drawn" in expected.note  # validation given
    assert expected.train.timestamp is None and expected.test.rating is not None


def test_csv_with_a_header_loads_as_the_atomic_file(rows, tmp_path: Path) -> None:
    quoted = [f'{row[0]},"{row[1]}",{row[2]},{row[3]}' for row in rows]
    path = write(tmp_path / "ratings.csv", ["who,what,stars,when", *quoted])
    atomic(tmp_path / "ml" / "ml.inter", rows, tuple(POSITIONS))
    named = {"user": "who", "item": "what", "rating": "stars", "timestamp": "when"}
    csv = {"name": "mine", "format": "csv", "path": str(path), "options": {"columns": named}}
    bench = {"name": "mine", "format": "atomic", "path": str(tmp_path / "ml")}
    for split in ({"kind": "random"}, {"kind": "temporal"}):
        expected = prepare_dataset({**bench, "split": split}, seed=5)
        assert_same(prepare_dataset({**csv, "split": split}, seed=5), expected)
    # A header naming user, item, rating and timestamp needs no columns at all.
    plain = write(tmp_path / "plain.csv", ["user,item,rating,timestamp", *map(",".join, rows)])
    found = {"name": "mine", "format": "csv", "path": str(plain), "options": {"header": True}}
    assert_same(prepare_dataset(found, seed=5), prepare_dataset(bench, seed=5))


def test_double_colon_file_loads_as_the_atomic_file(rows, tmp_path: Path) -> None:
    """MovieLens-1M/10M's ``ratings.dat`` shape: ``user::item::rating::timestamp``, quote
    characters being data there (a title-like token keeps its quote)."""
    tokens = [
        [row[0], f'"{row[1]}' if n % 7 == 0 else row[1], *row[2:]] for n, row in enumerate(rows)
    ]
    path = write(tmp_path / "ratings.dat", ["::".join(row) for row in tokens])
    atomic(tmp_path / "ml" / "ml.inter", tokens, tuple(POSITIONS))
    dat = {"name": "mine", "format": "csv", "path": str(path)}
    dat["options"] = {"sep": "::", "columns": POSITIONS}
    bench = {"name": "mine", "format": "atomic", "path": str(tmp_path / "ml")}
    got, expected = prepare_dataset(dat, seed=2), prepare_dataset(bench, seed=2)
    assert_same(got, expected)
    assert '"' + rows[0][1] in got.train.item_ids.tolist()  # the quote is part of the id
    write(tmp_path / "short.dat", ["1::2::5", "1::3", "2::2::4"])
    with pytest.raises(DataError, match=r"short.dat, line 2: 2 fields where 3 were .* '::'"):
        load_csv(tmp_path / "short.dat", sep="::", columns={"user": 0, "item": 1})


@pytest.mark.parametrize("sep", ["", 'a"b', "\n", ":\n"])
def test_a_separator_that_cannot_delimit_is_refused_with_the_choices(sep: str, tmp_path) -> None:
    path = write(tmp_path / "x.csv", ["1,2"])
    with pytest.raises(ConfigError, match=r"sep=.* is not a delimiter: .*'::'.*whitespace"):
        load_csv(path, sep=sep)


def test_every_bad_line_is_named_in_one_error(tmp_path: Path) -> None:
    lines = ["user,item,rating"] + [f"u{n % 7},i{n},{n % 5 + 1}" for n in range(2, 300)]
    lines[138], lines[200] = "u1,i139,five", "u1,i201,"  # file lines 139 and 201
    path = write(tmp_path / "messy.csv", lines)
    with pytest.raises(DataError) as error:
        load_csv(path, header=True)
    message = str(error.value)
    assert str(path) in message and "2 lines with values that are not finite numbers" in message
    assert "line 139: rating column 'rating' holds 'five'" in message
    assert "line 201: rating column 'rating' holds ''" in message

    for n in range(10, 150, 10):  # 14 bad lines in all: 10 named, then a count
        lines[n] = f"u1,i{n},x{n}"
    write(path, lines)
    with pytest.raises(DataError, match=r"16 lines with values that are not finite") as error:
        load_csv(path, header=True)
    message = str(error.value)
    named = [n for n in range(1, 302) if f"line {n}:" in message]
    assert named == [11, 21, 31, 41, 51, 61, 71, 81, 91, 101] and "; and 6 more lines." in message

    ragged = write(tmp_path / "ragged.tsv", ["a\tb", "a\tb\tc", "a", "a\tb", "c\td\te"])
    with pytest.raises(DataError) as error:
        load_csv(ragged, sep="tab")
    message = str(error.value)
    assert "3 lines without the 2 fields expected (as most lines) with separator '\\t'" in message
    assert "line 2: 3 fields; line 3: 1 fields; line 5: 3 fields" in message


def test_unseen_users_and_items_are_counted_and_dropped(tmp_path: Path, caplog) -> None:
    train = ["u1 a", "u1 b", "u2 a", "u2 d", "u3 b", "u3 d"]
    files = {
        "train": str(write(tmp_path / "train.txt", train)),
        "valid": str(write(tmp_path / "valid.txt", ["u1 d", "u8 a"])),
        "test": str(write(tmp_path / "test.txt", ["u2 b", "u3 a", "u1 c", "u9 a", "u2 c"])),
    }
    cfg: dict[str, Any] = {"name": "mine", "format": "csv", **files}
    cfg["options"] = {"sep": "space"}
    with caplog.at_level(logging.INFO, logger="lgnas.data.catalog"):
        split = prepare_dataset(cfg, seed=0)
    said = [r.getMessage() for r in caplog.records if "never seen in train" in r.getMessage()]
    assert said == [
        "dataset 'mine': 3 of 5 test rows and 1 of 2 validation rows name a user or item never "
        "seen in train (users: 2, items: 1); dropped: they leave the ranking metrics."
    ]
    assert (len(split.train), len(split.valid), len(split.test)) == (6, 1, 2)
    assert set(split.test.user_ids) == {"u1", "u2", "u3"} and set(split.test.item_ids) == {
        "a",
        "b",
        "d",
    }  # ids only the dropped rows held are gone
    kept = prepare_dataset({**cfg, "unseen": "keep"}, seed=0)
    assert (len(kept.valid), len(kept.test)) == (2, 5) and "c" in kept.test.item_ids
    same = {**cfg, "train": files["test"], "valid": None}  # dedup keeps the test rows
    with pytest.raises(DataError, match="dataset 'mine': no interaction is left to train on"):
        prepare_dataset(same, seed=0)


def test_dedup_merges_are_logged_and_the_old_booleans_still_work(tmp_path: Path, caplog) -> None:
    lines = ["u1,a,1,10", "u1,a,5,20", "u1,a,3,30", "u2,a,4,10", "u2,b,2,10", "u2,b,1,5"]
    path = write(tmp_path / "r.csv", lines)
    cfg = {"name": "mine", "format": "csv", "path": str(path)}
    cfg["options"] = {"columns": POSITIONS}
    kept = {}
    for dedup in ("last", "first", "max", True, False):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="lgnas.data.catalog"):
            split = prepare_dataset({**cfg, "dedup": dedup, "split": "leave_one_out"}, 0)
        parts = (split.train, split.valid, split.test)
        kept[dedup] = sorted(float(r) for part in parts for r in part.rating)
        merges = [r.getMessage() for r in caplog.records if "merged" in r.getMessage()]
        assert len(merges) == (0 if dedup is False else 1)
    assert kept["last"] == kept[True] == [2.0, 3.0, 4.0]  # latest by timestamp
    assert kept["first"] == [1.0, 1.0, 4.0] and kept["max"] == [2.0, 4.0, 5.0]
    assert kept[False] == [1.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    with caplog.at_level(logging.INFO, logger="lgnas.data.catalog"):
        prepare_dataset({**cfg, "dedup": "max", "split": "leave_one_out"}, 0)
    assert (
        "dataset 'mine': dedup=max merged 3 repeated rows into 2 user-item pairs, keeping the "
        "highest rating (ties: the latest)." in caplog.text
    )


def test_the_carve_has_its_own_seed_and_keeps_seed_0_results(tmp_path: Path) -> None:
    folder = tmp_path / "lg"
    train = [f"{u} " + " ".join(str((u * 3 + k) % 40) for k in range(12)) for u in range(30)]
    write(folder / "train.txt", train)
    write(folder / "test.txt", [f"{u} {(u * 3 + 12) % 40} {(u * 3 + 13) % 40}" for u in range(30)])
    cfg: dict[str, Any] = {"name": "lg", "format": "lightgcn", "path": str(folder)}
    cfg["split"] = {"kind": "predefined", "valid_ratio": 0.2}
    first = prepare_dataset(cfg, seed=0)
    assert_same(prepare_dataset(cfg, seed=7), first)  # the run's seed varies the model only
    data, is_test = load_lightgcn(folder)  # what seed 0 gave before the carve had its seed
    before = split_predefined(compact(data), is_test, valid_ratio=0.2, seed=0)
    for part in ("train", "valid", "test"):
        np.testing.assert_array_equal(getattr(first, part).item, getattr(before, part).item)
    other = prepare_dataset({**cfg, "split": {**cfg["split"], "seed": 1}}, seed=0)
    assert not np.array_equal(other.valid.item, first.valid.item)
    assert other.seed == 1 and "dataset.split.seed=1." in other.note

    # Other kinds draw with the run's seed unless split.seed fixes them.
    note = prepare_dataset({**cfg, "split": {"kind": "random"}}, seed=2).note
    assert note.endswith("drawn with the run's seed 2 (dataset.split.seed unset).")
    fixed = {**cfg, "split": {"kind": "random", "seed": 4}}
    assert_same(prepare_dataset(fixed, seed=0), prepare_dataset(fixed, seed=9))
