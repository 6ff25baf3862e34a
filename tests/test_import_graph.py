"""lgnas's sub-packages import each other without cycles; ``lgnas.trials`` is a bottom,
``lgnas.training`` needs no entry point, and only the entry points see Hydra's DictConfig.

Every ``import`` and ``from ... import`` under ``lgnas/`` counts, at module level or inside
a function (a lazy import still ties the packages together), with relative imports
resolved. Nodes are ``lgnas.X`` where ``X`` is the first component: a sub-package
(``lgnas.search``) or a top-level module (``lgnas.errors``, ``lgnas.train``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

LGNAS = Path(__file__).resolve().parents[1] / "lgnas"

ENTRY_POINTS = ("lgnas.__main__", "lgnas.train", "lgnas.recommend", "lgnas.multirun")
LAYERS = (
    *ENTRY_POINTS,
    "lgnas.search",
    "lgnas.report",
    "lgnas.testing",
    "lgnas.strategies",
    "lgnas.space",
    "lgnas.training",
    "lgnas.coldstart",
    "lgnas.models",
    "lgnas.data",
    "lgnas.text",
    "lgnas.graph",
    "lgnas.metrics",
    "lgnas.trials",
    "lgnas.settings",
    "lgnas.errors",
    "lgnas.config",
)
"""README's "Layout", top to bottom: a package imports only those below it."""
"""The Hydra doors: the only modules that may hold a ``DictConfig``."""


def _module_name(path: Path, root: Path = LGNAS) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path = LGNAS) -> Iterator[tuple[str, int]]:
    """The absolute module names ``path`` (a file under ``root``) imports, with their line
    numbers; ``from a import b`` yields ``a`` and ``a.b``, since ``b`` may be a module."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target, node.lineno
            for alias in node.names:
                yield f"{target}.{alias.name}", node.lineno


def _node(module: str) -> str | None:
    """``lgnas.X`` for a module of lgnas; ``None`` for lgnas itself or outside modules."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "lgnas" and len(parts) > 1 else None


def _existing(node: str) -> bool:
    name = node.split(".")[1]
    return (LGNAS / name / "__init__.py").is_file() or (LGNAS / f"{name}.py").is_file()


def package_edges() -> dict[tuple[str, str], list[str]]:
    """Edges between lgnas's packages, each with where it is made (``file:line``)."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(LGNAS.rglob("*.py")):
        source = _node(_module_name(path))
        if source is None:  # lgnas/__init__.py, lgnas/__main__.py: the top, not a package
            continue
        for target_module, line in _imports(path):
            target = _node(target_module)
            if target is None or target == source or not _existing(target):
                continue
            where = f"{path.relative_to(LGNAS.parent)}:{line}"
            edges.setdefault((source, target), []).append(where)
    return edges


def _reaches(edges: set[tuple[str, str]], start: str, goal: str) -> bool:
    frontier, seen = [start], {start}
    while frontier:
        here = frontier.pop()
        if here == goal:
            return True
        for source, target in edges:
            if source == here and target not in seen:
                seen.add(target)
                frontier.append(target)
    return False


def cycle_edges(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges that lie on a cycle: ``a -> b`` where ``b`` leads back to ``a``."""
    return {(a, b) for a, b in edges if _reaches(edges, b, a)}


def test_the_walk_sees_top_level_lazy_and_relative_imports(tmp_path: Path) -> None:
    edges = package_edges()
    assert ("lgnas.strategies", "lgnas.space") in edges  # a top-level import
    assert ("lgnas.search", "lgnas.strategies") in edges
    assert ("lgnas.trials", "lgnas.errors") in edges
    assert cycle_edges({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == {
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
    }
    package = tmp_path / "lgnas" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from .mod import x\n")
    (package / "mod.py").write_text(
        "from . import sibling\nfrom ..other import y\n\ndef f():\n    import lgnas.lazy\n"
    )
    root = tmp_path / "lgnas"
    found = {name for name, _ in _imports(package / "mod.py", root)}
    assert {"lgnas.pkg.sibling", "lgnas.other", "lgnas.other.y", "lgnas.lazy"} <= found
    assert "lgnas.pkg.mod" in {name for name, _ in _imports(package / "__init__.py", root)}


def test_no_cycles_between_packages() -> None:
    edges = package_edges()
    found = sorted(f"{a} -> {b} ({', '.join(edges[a, b])})" for a, b in cycle_edges(set(edges)))
    assert not found, "import cycles between lgnas packages:\n" + "\n".join(found)


def test_packages_import_only_those_below_them() -> None:
    edges = package_edges()
    unplaced = sorted({node for edge in edges for node in edge} - set(LAYERS))
    assert not unplaced, f"place these in LAYERS and README's Layout: {unplaced}"
    upward = sorted(
        f"{a} -> {b} ({', '.join(where)})"
        for (a, b), where in edges.items()
        if LAYERS.index(b) < LAYERS.index(a)
    )
    assert not upward, "imports of a package listed above:\n" + "\n".join(upward)


def test_training_imports_no_entry_point() -> None:
    entries = {_node(e) for e in ENTRY_POINTS if _node(e)}
    imported = {target for source, target in package_edges() if source == "lgnas.training"}
    assert not imported & entries, f"lgnas.training imports {sorted(imported & entries)}"


def test_below_the_entry_points_no_module_reads_a_dictconfig() -> None:
    readers = []
    for path in sorted(LGNAS.rglob("*.py")):
        if _module_name(path) in ENTRY_POINTS:
            continue
        names = {name for name, _ in _imports(path)}
        if names & {"omegaconf.DictConfig", "omegaconf.dictconfig"}:
            readers.append(str(path.relative_to(LGNAS.parent)))
    assert not readers, f"modules below the entry points import DictConfig: {readers}"


def test_trials_is_a_bottom_package() -> None:
    imported = {target for source, target in package_edges() if source == "lgnas.trials"}
    assert imported <= {"lgnas.errors"}, f"lgnas.trials imports {sorted(imported)}"
