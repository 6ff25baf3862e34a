"""Fixtures shared by all test packages."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lgnas.graph import BipartiteGraph

REPO = Path(__file__).resolve().parents[1]
CPU_SIZE = ("threads=1", "eval.warmup=0", "trainer.enable_progress_bar=false")
"""Overrides that shrink the shipped configs to a test's size on a 2-core CPU."""
Compose = Callable[..., dict[str, Any]]


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


@pytest.fixture(scope="session")
def compose_config(data_dir: Path) -> Compose:
    """``compose_config(name, *overrides)``: the shipped Hydra config ``name`` (``config`` for
    searches, ``train`` for single runs), shrunk by :data:`CPU_SIZE`, as the plain resolved
    dict an entry point converts into its typed settings."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from lgnas.config import config_dir

    def composed(name: str, *overrides: str) -> dict[str, Any]:
        everything = [*CPU_SIZE, f"data_dir={data_dir}", *overrides]
        with initialize_config_dir(config_dir(), version_base=None):
            cfg = compose(name, overrides=everything)
        return OmegaConf.to_container(cfg, resolve=True)

    return composed


@pytest.fixture(scope="session")
def search_job(compose_config: Compose) -> Callable[..., Any]:
    """``search_job(*overrides)``: the typed settings of ``python -m lgnas *overrides``."""
    from lgnas.search.settings import SearchJob

    return lambda *overrides: SearchJob.from_config(compose_config("config", *overrides))


@pytest.fixture(scope="session")
def train_job(compose_config: Compose) -> Callable[..., Any]:
    """``train_job(*overrides)``: the typed settings of ``python -m lgnas.train *overrides``."""
    from lgnas.training.job import TrainJob

    return lambda *overrides: TrainJob.from_config(compose_config("train", *overrides))


@pytest.fixture
def small_graph() -> BipartiteGraph:
    """A random bipartite graph of 12 users and 15 items with unique edges."""
    rng = np.random.default_rng(0)
    pairs = {(int(u), int(i)) for u, i in zip(rng.integers(0, 12, 80), rng.integers(0, 15, 80))}
    pairs |= {(u, u) for u in range(12)}  # every user has an item
    user, item = np.array(sorted(pairs)).T
    return BipartiteGraph(user, item, num_users=12, num_items=15)
