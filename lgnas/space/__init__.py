"""Search spaces: the dimensions a search explores, declared in YAML, and how points map to runs."""

from __future__ import annotations

from pathlib import Path

from lgnas.errors import ConfigError
from lgnas.space._consumers import split_point, training_keys
from lgnas.space._dimensions import Categorical, Dimension, Float, Integer
from lgnas.space._space import Decision, SearchSpace
from lgnas.space._stages import (
    layer_genes,
    layer_space,
    macro_space,
    propagated_point,
    single_op_point,
    with_layer,
)

__all__ = [
    "Categorical",
    "Decision",
    "Dimension",
    "Float",
    "Integer",
    "SearchSpace",
    "builtin_spaces",
    "layer_genes",
    "layer_space",
    "load_space",
    "macro_space",
    "propagated_point",
    "single_op_point",
    "split_point",
    "training_keys",
    "with_layer",
]


def _builtin_dir() -> Path:
    from lgnas.config import config_dir

    return Path(config_dir()) / "search_space"


def builtin_spaces() -> list[str]:
    """Names of the spaces shipped in ``conf/search_space/``."""
    return sorted(p.stem for p in _builtin_dir().glob("*.yaml"))


def load_space(name_or_path: str | Path) -> SearchSpace:
    """A shipped space by name (``default``, ``tiny``, ...) or a space YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return SearchSpace.from_yaml(path)
    builtin = _builtin_dir() / f"{name_or_path}.yaml"
    if not builtin.is_file():
        raise ConfigError(
            f"unknown search space {str(name_or_path)!r}; choose one of {builtin_spaces()} "
            "or give the path of a space YAML file"
        )
    return SearchSpace.from_yaml(builtin)
