"""The trial vocabulary moved to ``lgnas.trials``; the old ``lgnas.search`` modules still
import, for one release, with a deprecation warning, and lgnas itself no longer uses them."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import lgnas.trials

REPO = Path(__file__).resolve().parents[1]
OLD = {
    "lgnas.search.trial": "lgnas.trials.trial",
    "lgnas.search.objectives": "lgnas.trials.objectives",
    "lgnas.search.dominance": "lgnas.trials.dominance",
}


def _fresh_import(name: str) -> object:
    """Import ``name`` as if for the first time, so its module-level warning fires again."""
    sys.modules.pop(name, None)
    return importlib.import_module(name)


@pytest.mark.parametrize("old", sorted(OLD))
def test_old_path_gives_the_same_objects_and_warns(old: str) -> None:
    new = importlib.import_module(OLD[old])
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated.*{OLD[old]}"):
        module = _fresh_import(old)
    assert module.__all__ and set(module.__all__) <= set(dir(new))
    for name in module.__all__:
        assert getattr(module, name) is getattr(new, name), name
        if name in lgnas.trials.__all__:
            assert getattr(lgnas.trials, name) is getattr(new, name), name


def test_from_import_of_an_old_path_still_works() -> None:
    sys.modules.pop("lgnas.search.trial", None)
    with pytest.warns(DeprecationWarning, match="lgnas.trials") as caught:
        from lgnas.search.trial import Candidate, TrialResult
    assert caught[0].filename == __file__  # the warning points at the importing line
    assert Candidate is lgnas.trials.Candidate and TrialResult is lgnas.trials.TrialResult


def _module(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts)


def _imports_of_old_paths(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if node.level:  # relative: only lgnas/search/ itself can reach the old modules
                module = "lgnas.search." + module if path.parent.name == "search" else module
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n in OLD]
    return found


def test_nothing_in_the_repository_imports_the_old_paths() -> None:
    sources = [
        path
        for folder in ("lgnas", "plugins", "scripts", "tests")
        for path in (REPO / folder).rglob("*.py")
        if path != Path(__file__) and _module(path) not in OLD
    ]
    assert len(sources) > 50
    found = [hit for path in sources for hit in _imports_of_old_paths(path)]
    assert not found, "import lgnas.trials instead:\n" + "\n".join(found)


def test_lgnas_packages_import_without_the_old_paths() -> None:
    """The package entry points (the names strategies and plugins import) load none of the
    deprecated modules, so they raise no deprecation warning of lgnas's own."""
    packages = [
        "lgnas.trials",
        "lgnas.space",
        "lgnas.strategies",
        "lgnas.search",
        "lgnas.search.loop",
        "lgnas.search.journal",
        "lgnas.report",
        "lgnas.testing",
    ]
    probe = (
        "import sys, warnings\n"
        "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        f"    for name in {packages!r}:\n"
        "        __import__(name)\n"
        f"print(sorted(set({sorted(OLD)!r}) & set(sys.modules)))\n"
        "print([str(w.message) for w in caught if 'lgnas.trials' in str(w.message)])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split("\n")[:2] == ["[]", "[]"], done.stdout
