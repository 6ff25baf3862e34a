"""Real datasets loaded once per session, and partition checks shared by split tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from lgnas.data.interactions import Interactions
from lgnas.data.loaders import load_atomic, load_lightgcn
from lgnas.data.splits import Split


@pytest.fixture(scope="session")
def ml100k(data_dir: Path) -> Interactions:
    return load_atomic(data_dir / "ml-100k")


@pytest.fixture(scope="session")
def gowalla(data_dir: Path) -> tuple[Interactions, np.ndarray]:
    return load_lightgcn(data_dir / "gowalla")


def _tag_rows(data: Interactions) -> Interactions:
    return dataclasses.replace(data, rating=np.arange(len(data), dtype=np.float32))


def _rows_of(part: Interactions) -> np.ndarray:
    assert part.rating is not None
    return part.rating.astype(np.int64)


@pytest.fixture
def tag_rows() -> Callable[[Interactions], Interactions]:
    """Data with ``rating`` replaced by the row number, so split parts trace back to rows."""
    return _tag_rows


@pytest.fixture
def rows_of() -> Callable[[Interactions], np.ndarray]:
    """Row numbers held by a part of ``tag_rows`` data."""
    return _rows_of


@pytest.fixture
def assert_partition() -> Callable[[Interactions, Split], None]:
    """Check a split of tagged data: every row in exactly one part, ids maps shared."""

    def check(tagged: Interactions, split: Split) -> None:
        parts = (split.train, split.valid, split.test)
        rows = np.concatenate([_rows_of(p) for p in parts])
        assert len(rows) == len(tagged), "rows lost or duplicated across parts"
        np.testing.assert_array_equal(np.sort(rows), np.arange(len(tagged)))
        for part in parts:
            assert part.user_ids is tagged.user_ids and part.item_ids is tagged.item_ids
            np.testing.assert_array_equal(part.user, tagged.user[_rows_of(part)])
            np.testing.assert_array_equal(part.item, tagged.item[_rows_of(part)])

    return check
