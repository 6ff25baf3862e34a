"""Must show of the plugin route: a fresh virtual environment gets lgnas and every plugin of
``plugins/`` installed, lists their strategies and runs a small search with each.

To keep the test fast the venv borrows torch, Lightning, PyG, Optuna, Nevergrad and the build
tools from the environment running the tests (a venv, a conda env or the system Python), and
lgnas and the plugins are installed into it with ``pip install --no-deps --no-build-isolation``
from copies of their sources: real (non-editable) installs, whose copies the venv imports ahead
of any in the environment, as the test checks.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGINS = sorted(p for p in (REPO / "plugins").iterdir() if (p / "pyproject.toml").is_file())
# One strategy of each plugin that registers strategies, searched with the synthetic data.
SEARCHED = {
    "lgnas-annealing": "annealing",
    "lgnas-optuna": "optuna_tpe",
    "lgnas-nevergrad": "nevergrad",
}
_JUNK = shutil.ignore_patterns("__pycache__", "build", "*.egg-info", "outputs", "multirun")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with lgnas and every plugin installed from copies of this checkout."""
    root = tmp_path_factory.mktemp("fresh")
    sources = root / "src"
    lgnas = sources / "lgnas"
    for part in ("lgnas", "conf"):
        shutil.copytree(REPO / part, lgnas / part, ignore=_JUNK)
    for file in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / file, lgnas / file)
    plugins = [shutil.copytree(p, sources / p.name, ignore=_JUNK) for p in PLUGINS]
    env = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    _borrow_running_environment(python)
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*install, str(lgnas), *map(str, plugins)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return python


def _borrow_running_environment(python: Path) -> None:
    """Put the site-packages of the interpreter running the tests after the venv's own.

    Not ``--system-site-packages``: that exposes the *base* interpreter's packages, which from
    a virtual environment are not the ones the user installed (no torch, an old setuptools).
    A ``.pth`` line calling ``site.addsitedir`` is how Python itself adds a site directory,
    so the ``.pth`` files in those directories (namespace packages, editable installs) work
    too, after the venv's own packages.
    """
    user_site = [site.getusersitepackages()] if site.ENABLE_USER_SITE else []
    borrowed = [path for path in (*site.getsitepackages(), *user_site) if path in sys.path]
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = [f"import site; site.addsitedir({path!r})\n" for path in borrowed]
    (Path(own) / "_borrowed_site_packages.pth").write_text("".join(lines))


def _run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_venv_imports_its_own_copies(venv: Path, tmp_path: Path) -> None:
    modules = [
        "lgnas",
        "lgnas_annealing",
        "lgnas_optuna",
        "lgnas_nevergrad",
        "hydra_plugins.lgnas_sweeper",
    ]
    code = "import importlib\n" + "".join(
        f"print(importlib.import_module({m!r}).__file__)\n" for m in modules
    )
    done = _run(venv, "-c", code, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    site = venv.parent.parent / "lib"
    assert all(line.startswith(str(site)) for line in done.stdout.split()), done.stdout


def test_listing_shows_every_plugin_with_package_and_version(venv: Path, tmp_path: Path) -> None:
    done = _run(venv, "-m", "lgnas.strategies", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr  # 1 if any strategy is broken
    for plugin, name in SEARCHED.items():
        assert f"{name}" in done.stdout and f"{plugin} 0.1.0 (" in done.stdout
    for name in ("optuna_cmaes", "optuna_nsga2", "genetic"):
        assert name in done.stdout


def test_a_small_search_runs_with_each_plugin(venv: Path, tmp_path: Path) -> None:
    done = _run(
        venv,
        "-m",
        "lgnas",
        "-m",
        f"+strategy={','.join(SEARCHED.values())}",
        "dataset=synthetic",
        "search_space=tiny",
        "search.trials=2",
        "search.fidelity=1",
        "search.top_k=0",
        "search.baselines=[]",
        "threads=1",
        f"hydra.sweep.dir={tmp_path / 'runs'}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in SEARCHED.values():
        journal = (tmp_path / "runs" / name / "seed0" / "journal.jsonl").read_text().splitlines()
        assert len(journal) == 3  # the header and two trials
        assert f"lgnas search: {name} on synthetic" in done.stdout


def test_the_installed_sweeper_tunes_the_example_app(venv: Path, tmp_path: Path) -> None:
    app = REPO / "plugins" / "hydra-lgnas-sweeper" / "example" / "toy_app.py"
    done = _run(
        venv,
        str(app),
        "-m",
        "hydra/sweeper=lgnas",
        "x=interval(-5,5)",
        "y=interval(-5,5)",
        "optimizer=choice(sgd,adam,rmsprop)",
        "hydra.sweeper.trials=8",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = (tmp_path / "sweep" / "optimization_results.yaml").read_text()
    assert "best_value:" in results and "trials: 8" in results
