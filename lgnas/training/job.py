"""One training job (``python -m lgnas.train``): which model, on which data, with what recipe."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lgnas.data.catalog import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.models.families import Model, model_from_dict, model_preset
from lgnas.models.optim import Optim
from lgnas.training.fit import fit
from lgnas.training.result import TrainResult, read_recipe, save_result
from lgnas.training.settings import TrainSettings


@dataclass(frozen=True)
class TrainJob:
    """Everything ``python -m lgnas.train`` needs, from one composed config (conf/train.yaml).

    Attributes:
        architecture: The model to train (or the graph filter to compute).
        optim: Its training recipe.
        dataset: The dataset's plain mapping (checked when it is loaded).
        train: Seed, threads, evaluation and Trainer settings.
    """

    architecture: Model
    optim: Optim
    dataset: Mapping[str, Any]
    train: TrainSettings = field(default_factory=TrainSettings)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TrainJob:
        """From the plain, resolved config (``model``, ``optim``, ``dataset``, ``seed``, ...)."""
        architecture, optim = resolve_model(config.get("model") or {}, config.get("optim"))
        settings = TrainSettings.from_config(
            seed=config.get("seed"),
            threads=config.get("threads"),
            eval=config.get("eval"),
            trainer=config.get("trainer"),
            task=config.get("task"),
        )
        return cls(architecture, optim, config["dataset"], settings)


def resolve_model(model: Mapping[str, Any], optim: Mapping[str, Any] | None) -> tuple[Model, Optim]:
    """The architecture and recipe the ``model`` group names, over the ``optim`` group.

    ``model.path`` loads a YAML file with ``arch`` (and optionally ``optim``), such as a search's
    ``best_architecture.yaml``; the file's ``optim`` values replace the group's (they are part
    of what was found); otherwise ``model.preset`` plus ``model.arch`` overrides, or
    ``model.arch`` alone.

    Raises:
        ConfigError: The file is missing or has no ``arch``; an unknown preset or key.
    """
    recipe = Optim.from_dict(optim)
    if model.get("path"):
        path = Path(str(model["path"])).expanduser()
        if not path.is_file():
            raise ConfigError(f"model.path: architecture file not found: {path}")
        saved = read_recipe(path)
        if saved is None:
            raise ConfigError(f"model.path: {path} has no 'arch' mapping")
        arch, found = saved
        return model_from_dict(arch), recipe.updated(found)
    arch = dict(model.get("arch") or {})
    name = model.get("preset")
    return (model_preset(name, **arch) if name else model_from_dict(arch)), recipe


def run_training(job: TrainJob, output_dir: Path | None = None) -> TrainResult:
    """Train ``job``'s model; write metrics and weights into ``output_dir`` if given."""
    split = prepare_dataset(job.dataset, seed=job.train.seed)
    logs = Path(output_dir) / "logs" if output_dir is not None else None
    result = fit(job.architecture, job.optim, split, job.train, log_dir=logs)
    if output_dir is not None:
        save_result(result, Path(output_dir), job.optim)
    return result
