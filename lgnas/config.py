"""Where lgnas's Hydra configs live, in a source checkout and in an installed wheel alike."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def config_dir() -> str:
    """Absolute path of the ``conf/`` tree (shipped in the wheel as package ``lgnas.conf``)."""
    return str(Path(str(resources.files("lgnas.conf"))).resolve())
