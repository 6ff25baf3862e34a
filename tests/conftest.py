"""Fixtures shared by all test packages."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lgnas.graph import BipartiteGraph

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The reference data folder: ``$LGNAS_DATA_DIR``, else ``<repo>/../shared/data``."""
    path = Path(os.environ.get("LGNAS_DATA_DIR", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.fail(
            f"reference data folder not found: {path.resolve()}. Set LGNAS_DATA_DIR to the "
            "shared data folder (the one holding ml-100k/ and gowalla/)."
        )
    return path


@pytest.fixture
def small_graph() -> BipartiteGraph:
    """A random bipartite graph of 12 users and 15 items with unique edges."""
    rng = np.random.default_rng(0)
    pairs = {(int(u), int(i)) for u, i in zip(rng.integers(0, 12, 80), rng.integers(0, 15, 80))}
    pairs |= {(u, u) for u in range(12)}  # every user has an item
    user, item = np.array(sorted(pairs)).T
    return BipartiteGraph(user, item, num_users=12, num_items=15)
