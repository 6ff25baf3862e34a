"""File-format loaders; each turns one on-disk format into :class:`Interactions`."""

from __future__ import annotations

from lgnas.data.loaders.atomic import load_atomic, load_atomic_split
from lgnas.data.loaders.delimited import load_csv
from lgnas.data.loaders.grouplens import load_grouplens_100k
from lgnas.data.loaders.lightgcn import load_lightgcn
from lgnas.data.loaders.pyg import load_pyg

__all__ = [
    "load_atomic",
    "load_atomic_split",
    "load_csv",
    "load_grouplens_100k",
    "load_lightgcn",
    "load_pyg",
]
