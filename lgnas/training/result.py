"""What one training produced, and its folder on disk: ``metrics.json``, ``architecture.yaml``
(loadable with ``model.path``) and ``model.pt``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import yaml
from torch import nn

from lgnas.data.splits import Split
from lgnas.models.architecture import Architecture
from lgnas.models.families import Model
from lgnas.models.optim import Optim
from lgnas.training.saved import load_gnn

StopReason = Literal["early_stop", "epoch_cap", "time_limit", "closed_form", "ensemble"]
"""Why a training ended: early stopping on validation, the epoch cap (``max_epochs``), or
the time limit (``max_seconds``) before either; ``closed_form``: nothing to train (a graph
filter, computed in one go); ``ensemble``: trained models combined (their epochs summed)."""
STOP_REASONS: tuple[str, ...] = (
    "early_stop",
    "epoch_cap",
    "time_limit",
    "closed_form",
    "ensemble",
)

SUMMARY = "metrics.json"
"""A saved result's summary, written last: its presence marks the folder's result complete."""


class ModelHolder(nn.Module):
    """Holds a recommender as ``model``, where a trained fit's Lightning module keeps it: what
    a computed graph filter, a blend or a loaded model is returned in, so results are saved
    and read alike (``model.pt``)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model


@dataclass
class TrainResult:
    """What one training run produced.

    ``stop_reason`` says why training ended (:data:`StopReason`); ``still_improving`` whether
    it ended by the epoch cap or the time limit while its best validation epoch lay within the
    last ``eval.patience`` epochs, so early stopping would not yet have stopped it (more
    epochs might still improve it). ``None`` for either: unknown (a result saved before they
    were recorded).
    """

    architecture: Model
    valid: dict[str, float]
    test: dict[str, float]
    best_epoch: int | None
    epochs: int  # the model's epochs in all, those of a resumed checkpoint included
    train_seconds: float
    num_parameters: int
    # The trained Lightning module, or what holds a computed graph filter; either keeps the
    # recommender as ``module.model``.
    module: nn.Module = field(repr=False)
    start_epoch: int = 0  # epochs the fit resumed after (``resume_from``); 0: from scratch
    stop_reason: StopReason | None = None
    still_improving: bool | None = None
    inherited: tuple[str, ...] = ()  # state-dict keys copied from ``init_from``'s weights

    @property
    def epochs_trained(self) -> int:
        """Epochs this fit trained itself."""
        return self.epochs - self.start_epoch


def save_result(result: TrainResult, output_dir: Path, optim: Optim) -> None:
    """Write ``metrics.json``, ``architecture.yaml`` and ``model.pt`` (weights + architecture;
    a click-through model's pointwise head too, as ``head_state_dict``)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    summary = {
        "valid": result.valid,
        "test": result.test,
        "best_epoch": result.best_epoch,
        "epochs": result.epochs,
        "train_seconds": result.train_seconds,
        "num_parameters": result.num_parameters,
        "stop_reason": result.stop_reason,
        "still_improving": result.still_improving,
    }
    if result.inherited:  # it started from earlier weights (a staged search's stage 3)
        summary["inherited"] = len(result.inherited)
    write_recipe(output_dir / "architecture.yaml", result.architecture, optim)
    saved = {
        "architecture": result.architecture.to_dict(),
        "state_dict": result.module.model.state_dict(),
    }
    head = getattr(result.module, "head", None)
    if head is not None:
        saved["head_state_dict"] = head.state_dict()
    torch.save(saved, output_dir / "model.pt")
    # Last: a metrics.json marks a complete result (a search reuses such folders).
    (output_dir / SUMMARY).write_text(json.dumps(summary, indent=2))


def forget_result(output_dir: Path) -> None:
    """Unmark a folder's saved result as complete, before the folder holds another model: a
    computation interrupted midway must not leave the old model's result to pass for it."""
    (output_dir / SUMMARY).unlink(missing_ok=True)


def write_recipe(path: Path, architecture: Model, optim: Optim) -> None:
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


def load_result(folder: Path, split: Split) -> TrainResult | None:
    """A saved trained ranking GNN's result, its model loaded (:func:`load_gnn`); ``None`` if
    ``folder`` holds no complete result."""
    summary = read_summary(folder)
    if summary is None:
        return None
    saved = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
    model = load_gnn(Architecture.from_dict(saved["architecture"]), saved["state_dict"], split)
    return saved_result(summary, ModelHolder(model))


def saved_result(summary: dict[str, Any], module: nn.Module) -> TrainResult:
    """The result a ``metrics.json`` summary describes, with its loaded ``module``.

    Only the number of tensors a fine-tune inherited is saved, so ``inherited`` holds that
    many empty names.
    """
    return TrainResult(
        architecture=module.model.architecture,
        valid=summary["valid"],
        test=summary["test"],
        best_epoch=summary["best_epoch"],
        epochs=summary["epochs"],
        train_seconds=summary["train_seconds"],
        num_parameters=summary["num_parameters"],
        module=module,
        stop_reason=summary["stop_reason"],
        still_improving=summary["still_improving"],
        inherited=("",) * int(summary.get("inherited", 0)),
    )


def read_summary(output_dir: Path) -> dict[str, Any] | None:
    """A saved result's ``metrics.json``; ``None`` if the folder holds no complete result.

    A ``metrics.json`` written before stop reasons were recorded reads with ``stop_reason``
    and ``still_improving`` as ``None`` (unknown).
    """
    path = output_dir / SUMMARY
    if not path.is_file():
        return None
    summary = json.loads(path.read_text())
    summary.setdefault("stop_reason", None)
    summary.setdefault("still_improving", None)
    return summary
