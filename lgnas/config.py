"""Where lgnas's files live: the Hydra configs (``conf/``), the user cache, run folders."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path


def config_dir() -> str:
    """Absolute path of the ``conf/`` tree (shipped in the wheel as package ``lgnas.conf``)."""
    return str(Path(str(resources.files("lgnas.conf"))).resolve())


def cache_dir(*parts: str) -> Path:
    """``$LGNAS_CACHE_DIR/<parts>``, else ``~/.cache/lgnas/<parts>``: what lgnas computes or
    downloads once per user (fetched datasets, item text embeddings, PyG downloads)."""
    root = os.environ.get("LGNAS_CACHE_DIR")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "lgnas").joinpath(*parts)


@contextlib.contextmanager
def removed_if_unused(run_dir: Path) -> Iterator[None]:
    """Remove the run folder Hydra made for a command that fails before writing anything.

    Hydra creates the folder (with ``.hydra/`` and a ``.log``) before the command starts, so a
    run refused at once would leave an empty-looking ``outputs/...`` behind. Its parents left
    empty go too, as far as the working directory (Hydra's default ``outputs/`` lives there).
    """
    try:
        yield
    except BaseException:
        _remove_if_unused(run_dir.resolve(), Path.cwd().resolve())
        raise


def _remove_if_unused(folder: Path, here: Path) -> None:
    if folder == here or folder in here.parents or not folder.is_dir():
        return
    if all(_hydra_made(entry) for entry in folder.iterdir()):
        shutil.rmtree(folder)
        for parent in folder.parents:
            if here not in parent.parents or any(parent.iterdir()):
                break
            parent.rmdir()


def _hydra_made(entry: Path) -> bool:
    """Hydra's own files in a run folder: its config copies and its log."""
    return (entry.is_dir() and entry.name == ".hydra") or (
        entry.is_file() and entry.suffix == ".log"
    )
