"""Item text embeddings computed once per (encoder, texts) and kept on disk.

Search trials and retrains reuse one file, so the language model runs once per dataset.
The file name holds a hash of the encoder (name and package version, or folder) and every
text, so editing any item's text (or the template) or upgrading the weights makes a new
entry instead of serving stale embeddings.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lgnas.config import cache_dir
from lgnas.text.encoder import encoder_id, load_encoder

logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$LGNAS_CACHE_DIR/text``, else ``~/.cache/lgnas/text``."""
    return cache_dir("text")


def cache_path(encoder: str, texts: Sequence[str], cache_dir: Path) -> Path:
    """Where the embeddings of ``texts`` by ``encoder`` are stored."""
    digest = hashlib.sha256(encoder_id(encoder).encode())
    for text in texts:
        # Length-prefixed, so ["ab", "c"] and ["a", "bc"] hash differently.
        data = text.encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    label = re.sub(r"[^A-Za-z0-9_.-]+", "_", encoder).strip("_")[-60:]
    return cache_dir / f"{label}-{len(texts)}-{digest.hexdigest()[:20]}.npy"


def cached_embeddings(
    texts: Sequence[str],
    encoder: str,
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    progress: bool = True,
) -> tuple[np.ndarray, bool]:
    """``float32 [len(texts), d]`` embeddings, and whether they came from the cache.

    A miss loads ``encoder`` (see :func:`lgnas.text.encoder.load_encoder`), encodes with a
    progress bar and writes the file atomically, so an interrupted run leaves no half file.
    """
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    path = cache_path(encoder, texts, folder)
    if path.is_file():
        return np.load(path), True
    logger.info("encoding %s item texts with %s, once: cached in %s", len(texts), encoder, folder)
    model = load_encoder(encoder)
    embeddings = model.encode(
        list(texts),
        batch_size=batch_size,
        show_progress_bar=progress,
        convert_to_numpy=True,
    ).astype(np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp.npy")
    np.save(partial, embeddings)
    partial.replace(path)
    return embeddings, False
