"""What one training produced, and its folder on disk: ``metrics.json``, ``architecture.yaml``
(loadable with ``model.path``) and ``model.pt``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from lgnas.models.architecture import Architecture
from lgnas.models.module import RecommenderModule
from lgnas.models.optim import Optim


@dataclass
class TrainResult:
    """What one training run produced."""

    architecture: Architecture
    valid: dict[str, float]
    test: dict[str, float]
    best_epoch: int | None
    epochs: int  # the model's epochs in all, those of a resumed checkpoint included
    train_seconds: float
    num_parameters: int
    module: RecommenderModule = field(repr=False)
    start_epoch: int = 0  # epochs the fit resumed after (``resume_from``); 0: from scratch

    @property
    def epochs_trained(self) -> int:
        """Epochs this fit trained itself."""
        return self.epochs - self.start_epoch


def save_result(result: TrainResult, output_dir: Path, optim: Optim) -> None:
    """Write ``metrics.json``, ``architecture.yaml`` and ``model.pt`` (weights + architecture)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    summary = {
        "valid": result.valid,
        "test": result.test,
        "best_epoch": result.best_epoch,
        "epochs": result.epochs,
        "train_seconds": result.train_seconds,
        "num_parameters": result.num_parameters,
    }
    write_recipe(output_dir / "architecture.yaml", result.architecture, optim)
    torch.save(
        {
            "architecture": result.architecture.to_dict(),
            "state_dict": result.module.model.state_dict(),
        },
        output_dir / "model.pt",
    )
    # Last: a metrics.json marks a complete result (a search reuses such folders).
    (output_dir / "metrics.json").write_text(json.dumps(summary, indent=2))


def write_recipe(path: Path, architecture: Architecture, optim: Optim) -> None:
    """An ``{arch, optim}`` YAML file, as ``model=file model.path=...`` loads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    recipe = {"arch": architecture.to_dict(), "optim": optim.to_dict()}
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))


def read_recipe(path: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The ``arch`` and ``optim`` mappings of a recipe file; ``None`` if it has no ``arch``."""
    saved = yaml.safe_load(path.read_text()) or {}
    if not isinstance(saved, dict) or not isinstance(saved.get("arch"), dict):
        return None
    return saved["arch"], dict(saved.get("optim") or {})


def read_summary(output_dir: Path) -> dict[str, Any] | None:
    """A saved result's ``metrics.json``; ``None`` if the folder holds no complete result."""
    path = output_dir / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else None
