"""Offline loading of the packaged encoder and the on-disk embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lgnas.data.features import item_texts
from lgnas.data.interactions import Interactions
from lgnas.errors import ConfigError
from lgnas.text import cached_embeddings, load_encoder, resolve_encoder


def test_packaged_encoder_resolves_to_bundled_weights() -> None:
    folder = Path(resolve_encoder("all-MiniLM-L6-v2"))
    assert (folder / "model.safetensors").is_file()
    assert "site-packages" in str(folder) or "dist-packages" in str(folder)


def test_all_ml100k_items_encode_offline(ml100k_embeddings, ml100k_items: Interactions) -> None:
    embeddings, hit = ml100k_embeddings
    assert not hit, "the session's first encoding must be a cache miss"
    assert embeddings.shape == (ml100k_items.num_items, 384) == (1682, 384)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-4)
    # Meaningful, not noise: two Star Wars films sit closer than Star Wars and a drama.
    titles = {t: i for i, t in enumerate(ml100k_items.item_features["movie_title"])}
    star_wars, empire = titles["Star Wars"], titles["Empire Strikes Back, The"]
    drama = titles["Dead Man Walking"]
    assert embeddings[star_wars] @ embeddings[empire] > embeddings[star_wars] @ embeddings[drama]


def test_second_run_reuses_the_cache(ml100k_embeddings, ml100k_items, text_cache) -> None:
    first, _ = ml100k_embeddings
    again, hit = cached_embeddings(
        item_texts(ml100k_items), "all-MiniLM-L6-v2", cache_dir=text_cache, progress=False
    )
    assert hit
    np.testing.assert_array_equal(again, first)
    assert len(list(text_cache.glob("*.npy"))) == 1


def test_changed_texts_miss_the_cache(tmp_path: Path) -> None:
    texts = ["Toy Story (1995). Genres: Animation", "GoldenEye (1995). Genres: Action"]
    first, hit_first = cached_embeddings(texts, "all-MiniLM-L6-v2", tmp_path, progress=False)
    _, hit_same = cached_embeddings(texts, "all-MiniLM-L6-v2", tmp_path, progress=False)
    edited = [texts[0], "GoldenEye (1995). Genres: Romance"]
    second, hit_edited = cached_embeddings(edited, "all-MiniLM-L6-v2", tmp_path, progress=False)
    assert (hit_first, hit_same, hit_edited) == (False, True, False)
    assert len(list(tmp_path.glob("*.npy"))) == 2
    np.testing.assert_allclose(second[0], first[0], atol=1e-5)
    assert not np.allclose(second[1], first[1], atol=1e-3)


def test_encoder_is_frozen() -> None:
    model = load_encoder("all-MiniLM-L6-v2")
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())


def test_unknown_encoder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown text encoder 'no-such-encoder-xyz'"):
        cached_embeddings(["a"], "no-such-encoder-xyz", tmp_path, progress=False)
    with pytest.raises(ConfigError, match=r"is a folder but not a saved model"):
        cached_embeddings(["a"], str(tmp_path), tmp_path, progress=False)
    assert not list(tmp_path.glob("*.npy")), "a failed encoding must not write a cache entry"


def test_cache_key_covers_the_weights_and_text_boundaries(tmp_path: Path) -> None:
    from lgnas.text.cache import cache_path

    (tmp_path / "m1").mkdir()
    (tmp_path / "m2").mkdir()
    one = cache_path(str(tmp_path / "m1"), ["x"], tmp_path)
    assert one != cache_path(str(tmp_path / "m2"), ["x"], tmp_path)
    assert cache_path("e", ["ab", "c"], tmp_path) != cache_path("e", ["a", "bc"], tmp_path)
