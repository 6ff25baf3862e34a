"""What a task trains: its data module and Lightning module, and a plain retrain on them.

Ranking serves BPR-style batches and full-ranking evaluation; the click-through task
labelled impressions, a pointwise head and BCE. :func:`~lgnas.training.fit` early-stops on
them; :func:`retrain` trains a chosen model again for a fixed number of epochs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch import nn

from lgnas.data.clicks import ClickDataModule
from lgnas.data.datamodule import RecDataModule
from lgnas.data.splits import Split
from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.click_module import ClickModule
from lgnas.models.module import RecommenderModule, RepresentationModule
from lgnas.models.optim import Optim
from lgnas.models.recommender import GNNRecommender
from lgnas.models.warm_start import ResumableCheckpoint
from lgnas.training.host import prepare_host
from lgnas.training.result import TrainResult, read_recipe, read_summary, saved_result
from lgnas.training.settings import TrainSettings


def retrain(
    architecture: Architecture,
    optim: Optim,
    split: Split,
    settings: TrainSettings,
    epochs: int,
    checkpoint: Path | None = None,
) -> nn.Module:
    """``architecture`` trained from scratch on ``split.train`` for exactly ``epochs`` epochs,
    with nothing validated: the refit of a model whose epochs validation chose, on training
    and validation together (:func:`~lgnas.data.splits.train_and_valid`). One process, no
    logger; the seed and recipe are the first fit's. With ``checkpoint``, the training state
    is saved there as each epoch ends and a saved one is continued (a refit killed midway
    resumes at its last complete epoch); the caller removes it once the result is saved."""
    prepare_host(settings.threads)
    L.seed_everything(settings.seed, workers=True, verbose=False)
    data, module = task_parts(architecture, optim, split, settings)
    trainer_args: dict[str, Any] = dict(settings.trainer)
    trainer_args.update(max_epochs=epochs, limit_val_batches=0, devices=1, logger=False)
    trainer_args.update(enable_checkpointing=False, num_sanity_val_steps=0)
    trainer = L.Trainer(**trainer_args, callbacks=[ResumableCheckpoint(checkpoint)])
    resume = checkpoint if checkpoint is not None and checkpoint.is_file() else None
    trainer.fit(module, datamodule=data, ckpt_path=resume)
    module.model.eval()
    return module.model


def load_click_result(folder: Path, split: Split, settings: TrainSettings) -> TrainResult | None:
    """A saved click-through model's result, its GNN and pointwise head loaded on ``split``'s
    training clicks (as :func:`task_parts` builds them); ``None`` if ``folder`` holds no
    complete result.

    Raises:
        RuntimeError: The weights do not fit the data as it loads now (other users/items).
    """
    summary = read_summary(folder)
    if summary is None:
        return None
    saved = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
    recipe = read_recipe(folder / "architecture.yaml")
    optim = Optim.from_dict(recipe[1] if recipe else None)
    architecture = Architecture.from_dict(saved["architecture"])
    _, module = task_parts(architecture, optim, split, settings)
    module.model.load_state_dict(saved["state_dict"])
    module.head.load_state_dict(saved["head_state_dict"])
    module.eval()
    return saved_result(summary, module)


def task_parts(
    architecture: Architecture, optim: Optim, split: Split, settings: TrainSettings
) -> tuple[L.LightningDataModule, RepresentationModule]:
    """The data module and Lightning module of ``settings.task``: ranking (BPR-style batches,
    full-ranking evaluation) or ctr (labelled impressions, a pointwise head, BCE)."""
    evaluation, recipe = settings.eval, optim
    common = {"lr": float(recipe.lr), "weight_decay": float(recipe.weight_decay)}
    common.update(reg=float(recipe.reg), temperature=float(recipe.temperature))
    if settings.task == "ctr":
        clicks = ClickDataModule(
            split, recipe.batch_size, eval_batch_size=evaluation.batch_size, seed=settings.seed
        )
        graph = clicks.graph_of(architecture.edges)
        model = GNNRecommender(architecture, graph, content=split.item_content)
        return clicks, ClickModule(model, metrics=list(evaluation.metrics), **common)
    if split.click_threshold is not None:
        raise ConfigError(
            f"the dataset is labelled impressions (click_threshold={split.click_threshold:g}), "
            "for task=ctr; rank on a dataset without click_threshold (e.g. dataset=ml100k)"
        )
    if architecture.edges != "clicks":
        raise ConfigError(
            f"architecture key 'edges': {architecture.edges!r} is for task=ctr (labelled "
            "impressions); ranking data holds positive interactions only: use edges=clicks"
        )
    data = RecDataModule(
        split,
        batch_size=recipe.batch_size,
        num_negatives=recipe.num_negatives,
        eval_batch_size=evaluation.batch_size,
        seed=settings.seed,
    )
    model = GNNRecommender(architecture, data.graph, content=split.item_content)
    module = RecommenderModule(
        model, loss=recipe.loss, metrics=list(evaluation.metrics), ks=list(evaluation.ks), **common
    )
    return data, module
