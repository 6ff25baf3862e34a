"""A missing default dataset is fetched: downloaded from a real HTTP server on the loopback
address (a small archive laid out as GroupLens's ml-100k.zip), checked, converted, reused; and
without a network (a closed local port) one line says so and names the ways on."""

from __future__ import annotations

import functools
import hashlib
import shutil
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lgnas.data.catalog import prepare_dataset
from lgnas.data.loaders.grouplens import GENRES, write_grouplens_100k_atomic
from lgnas.errors import ConfigError, DataError

USERS = 25  # the archive holds the reference ratings of users 1..25
# As GroupLens's u.item has them: a title without a year, one with two parentheses, a video.
EDGE_ITEMS = {
    "267": "unknown||||" + "|".join(["1"] + ["0"] * 18),
    "11": "Seven (Se7en) (1995)|01-Jan-1995||http://x|"
    + "|".join(["0"] * 6 + ["1"] + ["0"] * 9 + ["1", "0", "0"]),
    "1412": "Land Before Time III: The Time of the Great Giving (1995) (V)|01-Jan-1995||http://x|"
    + "|".join(["0"] * 3 + ["1", "1"] + ["0"] * 14),
}  # fmt: skip


@pytest.fixture(scope="module")
def archive(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ml-100k.zip`` with GroupLens's layout, from the reference data's first users."""
    reference = data_dir / "ml-100k"
    rows = reference.joinpath("ml-100k.inter").read_text().splitlines()[1:]
    ratings = [row for row in rows if int(row.split("\t")[0]) <= USERS]
    items = []
    for row in reference.joinpath("ml-100k.item").read_text(encoding="utf-8").splitlines()[1:]:
        item, title, year, genres = row.split("\t")
        flags = "|".join("1" if genre in genres.split(" ") else "0" for genre in GENRES)
        line = EDGE_ITEMS.get(item, f"{title} ({year})|01-Jan-{year}||http://x|{flags}")
        items.append(f"{item}|{line}")
    users = reference.joinpath("ml-100k.user").read_text().splitlines()[1 : USERS + 1]
    path = tmp_path_factory.mktemp("served") / "ml-100k.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("ml-100k/u.data", "".join(f"{row}\n" for row in ratings))
        zipped.writestr("ml-100k/u.item", "".join(f"{i}\n" for i in items).encode("latin-1"))
        zipped.writestr("ml-100k/u.user", "".join(f"{u.replace(chr(9), '|')}\n" for u in users))
    return path


@pytest.fixture
def server(archive: Path) -> Iterator[tuple[str, list[str]]]:
    """The archive's folder served over HTTP on 127.0.0.1: its base URL and the paths asked."""
    asked: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            asked.append(self.path)

    handler = functools.partial(Handler, directory=str(archive.parent))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
        httpd.shutdown()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LGNAS_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "data"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ml100k(compose_config, tmp_path: Path, url: str, sha256: str) -> dict:
    """ml100k's dataset config with no data under ``data_dir`` and the archive at ``url``."""
    overrides = [f"data_dir={tmp_path / 'empty'}", f"dataset.fetch.url={url}"]
    return compose_config("train", *overrides, f"dataset.fetch.sha256={sha256}")["dataset"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_missing_ml100k_is_downloaded_checked_converted_and_reused(
    compose_config, archive: Path, server, cache: Path, tmp_path: Path, capsys, data_dir: Path
) -> None:
    base, asked = server
    dataset = _ml100k(compose_config, tmp_path, f"{base}/ml-100k.zip", _sha256(archive))
    split = prepare_dataset(dataset, seed=0)
    assert split.train.num_users == USERS and asked == ["/ml-100k.zip"]
    shown = capsys.readouterr().err
    assert f"not found; fetching {base}/ml-100k.zip into {cache}" in shown
    assert "ml-100k.zip" in shown.splitlines()[1] and "kB" in shown  # the progress bar

    folder = cache / "ml-100k"
    with zipfile.ZipFile(archive) as zipped:
        ratings = zipped.read("ml-100k/u.data").decode()
    header = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    assert folder.joinpath("ml-100k.inter").read_text() == header + ratings
    # The rows RecBole made of the edge items, as in the reference data.
    reference = data_dir.joinpath("ml-100k", "ml-100k.item").read_text(encoding="utf-8")
    converted = folder.joinpath("ml-100k.item").read_text(encoding="utf-8").splitlines()
    for row in reference.splitlines():
        if row.split("\t")[0] in {*EDGE_ITEMS, "1", "543"}:  # 543: Misérables, Les (latin-1)
            assert row in converted

    again = prepare_dataset(dataset, seed=0)  # read from the cache: no second download
    assert asked == ["/ml-100k.zip"] and len(again.train) == len(split.train)
    shutil.rmtree(folder)
    prepare_dataset(dataset, seed=0)  # converted again from the archive kept in the cache
    assert asked == ["/ml-100k.zip"] and folder.joinpath("ml-100k.inter").is_file()


def test_a_wrong_checksum_keeps_nothing(
    compose_config, server, cache: Path, tmp_path: Path
) -> None:
    base, asked = server
    dataset = _ml100k(compose_config, tmp_path, f"{base}/ml-100k.zip", "0" * 64)
    with pytest.raises(DataError, match=r"its SHA-256 is [0-9a-f]{64}, not 0{64}"):
        prepare_dataset(dataset, seed=0)
    assert asked == ["/ml-100k.zip"]
    assert not list(cache.iterdir())  # no archive, no partial download, no converted folder


def test_an_http_error_is_named(compose_config, archive, server, cache, tmp_path) -> None:
    base, _ = server
    dataset = _ml100k(compose_config, tmp_path, f"{base}/nothing.zip", _sha256(archive))
    with pytest.raises(DataError, match=r"nothing\.zip answered HTTP 404"):
        prepare_dataset(dataset, seed=0)


def test_offline_it_says_so_in_one_line_naming_the_ways_on(
    compose_config, archive: Path, cache: Path, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/ml-100k.zip"
    dataset = _ml100k(compose_config, tmp_path, url, _sha256(archive))
    with pytest.raises(DataError) as refused:
        prepare_dataset(dataset, seed=0)
    error = str(refused.value)  # the entry points print it after "lgnas: error: "
    assert "\n" not in error
    assert error.startswith(f"dataset 'ml100k': {tmp_path / 'empty' / 'ml-100k'} not found, and ")
    assert f"no network: {url} cannot be reached" in error
    assert "LGNAS_DATA_DIR=" in error and "dataset=synthetic" in error
    assert f"ml-100k.zip copied into {cache}" in error
    assert not list(cache.iterdir())


def test_the_converter_refuses_an_archive_of_another_layout(tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zipped:
        zipped.writestr("ml-1m/ratings.dat", "1::2::3::4\n")
    with pytest.raises(DataError, match=r"lacks \['u.data', 'u.item', 'u.user'\]"):
        write_grouplens_100k_atomic(other, tmp_path / "ml-1m")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("dataset.fetch.sha256=abc", "fetch.sha256='abc' must be the archive's SHA-256"),
        ("dataset.fetch.convert=movielens", "fetch.convert='movielens' is unknown"),
        ("dataset.fetch.url=ftp://x/y.zip", "fetch.url='ftp://x/y.zip' must be an http(s) URL"),
        ("+dataset.fetch.md5=0e33", "'fetch' must be a mapping with exactly the keys"),
    ],
)
def test_a_bad_fetch_section_is_refused(compose_config, override: str, message: str) -> None:
    with pytest.raises(ConfigError, match="dataset 'ml100k'") as refused:
        prepare_dataset(compose_config("train", override)["dataset"], seed=0)
    assert message in str(refused.value)
