"""Datasets PyTorch Geometric knows how to download, parsed with lgnas's own loaders.

PyG's dataset classes supply the download URLs and folder layout (``<root>/raw``), so a
root PyG already filled is reused. Their ``process`` steps are not used: they need pandas
and keep only part of the data (MovieLens100K keeps the ``u1`` fold without timestamps).
"""

from __future__ import annotations

import socket
import urllib.error
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from lgnas.data.interactions import Interactions
from lgnas.data.loaders.grouplens import load_grouplens_100k
from lgnas.data.loaders.lightgcn import load_lightgcn
from lgnas.errors import DataError

DOWNLOAD_TIMEOUT_S = 60.0


def load_pyg(name: str, root: str | Path) -> tuple[Interactions, np.ndarray | None]:
    """Load ``MovieLens100K`` or ``AmazonBook``, downloading into ``root`` when missing.

    Returns the interactions and the dataset's predefined ``is_test`` mask (``None`` for
    MovieLens100K, which is loaded whole from ``u.data``). Without internet access and
    without the files already under ``root`` this raises a DataError saying so.
    """
    fetch = _lookup(name)
    root = Path(root).expanduser()
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            return fetch(root)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        raise DataError(
            f"could not download PyG dataset {name!r} into {root} ({error}). Downloading "
            "needs internet access; offline, copy the files there yourself, or use the "
            "atomic/grouplens/lightgcn formats with data under LGNAS_DATA_DIR."
        ) from error
    except ImportError as error:
        raise DataError(
            f"PyG dataset {name!r} needs torch_geometric ({error}); install it, or use the "
            "atomic/grouplens/lightgcn formats."
        ) from error
    except PermissionError as error:
        raise DataError(
            f"cannot write PyG dataset {name!r} under {root} ({error}); pass a writable root."
        ) from error


def _movielens_100k(root: Path) -> tuple[Interactions, np.ndarray | None]:
    for folder in (root / "raw", root / "ml-100k"):
        if (folder / "u.data").is_file():
            return load_grouplens_100k(folder), None
    from torch_geometric.data import extract_zip
    from torch_geometric.datasets import MovieLens100K

    archive = _download(MovieLens100K.url, root, "ml-100k.zip")
    extract_zip(str(archive), str(root), log=False)
    archive.unlink()
    return load_grouplens_100k(root / "ml-100k"), None


def _amazon_book(root: Path) -> tuple[Interactions, np.ndarray | None]:
    raw = root / "raw"
    missing = [name for name in ("train.txt", "test.txt") if not (raw / name).is_file()]
    if missing:
        from torch_geometric.datasets import AmazonBook

        for name in missing:
            _download(f"{AmazonBook.url}/{name}", raw, name)
    return load_lightgcn(raw)


_DATASETS: dict[str, Callable[[Path], tuple[Interactions, np.ndarray | None]]] = {
    "MovieLens100K": _movielens_100k,
    "AmazonBook": _amazon_book,
}


def _lookup(name: str) -> Callable[[Path], tuple[Interactions, np.ndarray | None]]:
    by_lower = {key.lower(): fetch for key, fetch in _DATASETS.items()}
    fetch = by_lower.get(name.lower())
    if fetch is None:
        raise DataError(f"unknown PyG dataset {name!r}; supported: {sorted(_DATASETS)}.")
    return fetch


def _download(url: str, folder: Path, filename: str) -> Path:
    """Download to ``filename`` via a ``.part`` file, so an interrupted run leaves no stub."""
    from torch_geometric.data import download_url

    partial = folder / f"{filename}.part"
    partial.unlink(missing_ok=True)  # download_url would take a stale stub as finished
    download_url(url, str(folder), log=False, filename=partial.name)
    return partial.replace(folder / filename)


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """Bound each network wait: PyG's download_url sets none and would hang offline."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(previous if previous is not None else seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)
