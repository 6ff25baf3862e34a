"""Entry points made by hand, to test discovery without installing a package."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from types import SimpleNamespace

from lgnas.strategies.registry import GROUP


def strategy_entry_point(name: str, value: str, package: str | None = None) -> EntryPoint:
    """An ``lgnas.strategies`` entry point as importlib lists it, optionally from ``package``."""
    ep = EntryPoint(name, value, GROUP)
    if package is not None:
        ep._for(SimpleNamespace(name=package, version="1.2"))  # how importlib attaches a dist
    return ep
