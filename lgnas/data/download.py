"""One file over HTTP(S), with a progress bar, checked against its published SHA-256.

The bytes go to a temporary file next to the target and are renamed only once the checksum
matches, so an interrupted or corrupted download never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from lgnas.errors import DataError

CHUNK_BYTES = 1 << 16
TIMEOUT_S = 60.0


class DownloadError(DataError):
    """A download failed: no network, an HTTP error, or bytes that fail their checksum."""


def download(
    url: str,
    target: Path,
    sha256: str,
    *,
    console: Console | None = None,
    timeout: float = TIMEOUT_S,
) -> Path:
    """Download ``url`` to ``target`` (its folder is created), showing a progress bar.

    Raises:
        DownloadError: the server could not be reached (no network), an HTTP error, a broken
            transfer, or a SHA-256 other than ``sha256``; the message says which.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            digest = _copy(url, out, target.name, console, timeout)
        if digest != sha256.lower():
            raise DownloadError(
                f"{url} was downloaded, but its SHA-256 is {digest}, not {sha256}: the file "
                "is damaged or changed on the server"
            )
        return Path(partial).replace(target)
    finally:
        Path(partial).unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(url: str, out: BinaryIO, label: str, console: Console | None, timeout: float) -> str:
    """Stream the response into ``out`` under a progress bar; the hex SHA-256 of the bytes."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            size = response.headers.get("Content-Length")
            columns = (
                TextColumn(label),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=console or Console(stderr=True)) as progress:
                task = progress.add_task(label, total=int(size) if size else None)
                while chunk := response.read(CHUNK_BYTES):
                    digest.update(chunk)
                    out.write(chunk)
                    progress.advance(task, len(chunk))
    except urllib.error.HTTPError as error:
        raise DownloadError(f"{url} answered HTTP {error.code} {error.reason}") from error
    except urllib.error.URLError as error:
        raise DownloadError(f"no network: {url} cannot be reached ({error.reason})") from error
    except TimeoutError as error:
        raise DownloadError(f"no network: {url} did not answer in {timeout:.0f} s") from error
    except OSError as error:
        raise DownloadError(f"the download of {url} broke off ({error})") from error
    return digest.hexdigest()
