"""Public datasets fetched into the user cache when a dataset config's ``path`` holds nothing.

A dataset config may say where its files come from (``fetch: {url, sha256, convert}``, as
``conf/dataset/ml100k.yaml`` does), so the default command runs on a fresh machine. The
archive is downloaded once (with a progress bar, its SHA-256 checked) into
``$LGNAS_CACHE_DIR/data`` (default ``~/.cache/lgnas/data``) and converted there into the files
the config's format reads; later runs read the converted copy without the network.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from lgnas.config import cache_dir
from lgnas.data.download import DownloadError, download, file_sha256
from lgnas.data.loaders.grouplens import write_grouplens_100k_atomic
from lgnas.errors import ConfigError, DataError

CONVERTERS: dict[str, Callable[[Path, Path], Path]] = {
    "grouplens_100k": write_grouplens_100k_atomic,  # ml-100k.zip -> RecBole atomic files
}
"""``convert`` names: each writes an archive's data into a folder, as the config's format reads."""

STAMP = ".fetched"  # in a converted folder: the SHA-256 of the archive it was converted from
_KEYS = ("url", "sha256", "convert")


@dataclass(frozen=True)
class FetchSource:
    """Where a dataset's archive is downloaded from, its SHA-256, and how it is converted."""

    url: str
    sha256: str
    convert: str

    @classmethod
    def from_config(cls, value: Any, where: str) -> FetchSource:
        """The ``fetch`` section of a dataset config, checked; a ConfigError names the key."""
        if not isinstance(value, Mapping) or sorted(value) != sorted(_KEYS):
            raise ConfigError(
                f"{where}: 'fetch' must be a mapping with exactly the keys {list(_KEYS)}; "
                f"got {value!r}."
            )
        url, sha256, convert = (value[key] for key in _KEYS)
        if not isinstance(url, str) or urllib.parse.urlparse(url).scheme not in ("http", "https"):
            raise ConfigError(f"{where}: fetch.url={url!r} must be an http(s) URL.")
        if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", sha256):
            raise ConfigError(
                f"{where}: fetch.sha256={sha256!r} must be the archive's SHA-256 (64 hex digits)."
            )
        if convert not in CONVERTERS:
            raise ConfigError(
                f"{where}: fetch.convert={convert!r} is unknown; valid: {sorted(CONVERTERS)}."
            )
        return cls(url, sha256.lower(), convert)


def fetch_dataset(
    source: FetchSource, missing: Path, where: str, console: Console | None = None
) -> Path:
    """The cached copy of the dataset folder ``missing`` should hold, fetched if need be.

    The copy is ``<cache>/data/<missing's name>``; it is downloaded and converted when absent
    or converted from another archive (another ``sha256``).

    Raises:
        DataError: the download failed; one line saying why and naming the ways on.
    """
    root = cache_dir("data")
    folder = root / missing.name
    if _stamp(folder) == source.sha256:
        return folder
    console = console or Console(stderr=True)
    archive = root / Path(urllib.parse.urlparse(source.url).path).name
    if not (archive.is_file() and file_sha256(archive) == source.sha256):
        _say(console, f"{where}: {missing} not found; fetching {source.url} into {root}")
        try:
            download(source.url, archive, source.sha256, console=console)
        except DownloadError as error:
            raise DataError(
                f"{where}: {missing} not found, and {error}. Ways on: LGNAS_DATA_DIR=<a folder "
                f"holding {missing.name}/>, or {archive.name} copied into {root}, or "
                "dataset=synthetic (no files needed)."
            ) from error
    _convert(source, archive, folder)
    _say(console, f"{where}: converted {archive.name} into {folder}; later runs read it there")
    return folder


def _say(console: Console, line: str) -> None:
    console.print(line, soft_wrap=True, highlight=False)  # one line, however narrow the console


def _convert(source: FetchSource, archive: Path, folder: Path) -> None:
    """Convert in a staging folder and move it into place, so no half-written copy is read."""
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=folder.parent))
    try:
        converted = CONVERTERS[source.convert](archive, staging / folder.name)
        (converted / STAMP).write_text(f"{source.sha256}\n")
        shutil.rmtree(folder, ignore_errors=True)  # a copy of another archive
        try:
            converted.rename(folder)
        except OSError:  # another process moved its identical copy into place first
            if _stamp(folder) != source.sha256:
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stamp(folder: Path) -> str | None:
    """The SHA-256 a converted folder was made from; None when it is not a finished copy."""
    stamp = folder / STAMP
    return stamp.read_text().strip() if stamp.is_file() else None
