"""A non-editable install (a built wheel) carries the Hydra configs and runs from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """lgnas built as a wheel and installed, without dependencies, into a fresh folder."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(root / "dist"),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((root / "dist").glob("lgnas-*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(root / "site"),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return root


def test_wheel_ships_every_config(installed: Path) -> None:
    wheel = next((installed / "dist").glob("lgnas-*.whl"))
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("lgnas/conf/")}
    expected = {
        f"lgnas/conf/{p.relative_to(REPO / 'conf')}" for p in (REPO / "conf").rglob("*.yaml")
    }
    assert expected and expected <= shipped


def test_wheel_ships_every_module(installed: Path) -> None:
    wheel = next((installed / "dist").glob("lgnas-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(p.relative_to(REPO)) for p in (REPO / "lgnas").rglob("*.py")}
    assert expected and not expected - shipped, sorted(expected - shipped)


def test_wheel_ships_every_shipped_prior(installed: Path) -> None:
    """``search.prior=shipped:<name>`` reads ``lgnas/priors/<name>.jsonl`` from the install."""
    wheel = next((installed / "dist").glob("lgnas-*.whl"))
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"lgnas/priors/{p.name}" for p in (REPO / "lgnas" / "priors").glob("*.jsonl")}
    assert "lgnas/priors/__init__.py" in shipped and expected <= shipped


def test_installed_copy_trains_outside_the_checkout(installed: Path, data_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed / "site"), "PYTHONWARNINGS": "ignore"}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import lgnas.config as c; print(c.__file__); print(c.config_dir())",
        ],
        cwd=installed,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, conf = probe.stdout.split()
    assert module_file.startswith(str(installed / "site"))
    assert conf.startswith(str(installed / "site"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lgnas.train",
            "dataset=synthetic",
            "model=mf",
            "trainer.max_epochs=1",
            "trainer.enable_progress_bar=false",
            f"hydra.run.dir={installed / 'run'}",
        ],
        cwd=installed,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert (installed / "run" / "metrics.json").is_file()
