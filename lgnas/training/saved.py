"""A saved ``model.pt`` back in use: any model family rebuilt on its data, scoring every item.

A trained GNN loads its weights; a graph filter its singular vectors (no SVD again); a blend
both, with the weight and filter point its fit chose. What each then ranks is what its
evaluation ranked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from torch import Tensor

from lgnas.data.datamodule import RecDataModule
from lgnas.data.splits import Split, train_and_valid
from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.blend import Blend, BlendedRecommender
from lgnas.models.ensemble import Ensemble
from lgnas.models.families import model_from_dict
from lgnas.models.filter_recommender import GraphFilterRecommender
from lgnas.models.graph_filter import GraphFilter, GridPoint
from lgnas.models.recommender import GNNRecommender

Scorer = Callable[[Tensor], Tensor]
"""Scores of every item (``[B, items]``) for a batch of user indices."""


def load_gnn(
    architecture: Architecture, state: Mapping[str, Tensor], split: Split
) -> GNNRecommender:
    """A trained ranking GNN on ``split``'s training graph, built as
    :func:`~lgnas.training.fit` builds it, with its saved ``state``.

    Raises:
        RuntimeError: The weights do not fit the data as it loads now (other users/items).
    """
    graph = RecDataModule(split).graph
    model = GNNRecommender(architecture, graph, content=split.item_content)
    model.load_state_dict(state)
    model.eval()
    return model


def load_filter(
    spec: GraphFilter, state: Mapping[str, Tensor], split: Split
) -> tuple[GraphFilterRecommender, GridPoint]:
    """A computed graph filter from its saved singular vectors, and the point it scores with.

    Raises:
        ConfigError: ``spec`` is a grid (not narrowed by a fit) or the data changed.
    """
    if len(spec.grid) != 1:
        raise ConfigError(
            "a saved graph filter has one (alpha, rank, sharpen, solver) point, "
            f"not {len(spec.grid)}"
        )
    parts = [split.train, split.valid] if spec.refit else [split.train]
    model = GraphFilterRecommender(parts, 0, spec.power_iterations, spec.oversample)
    model.use_vectors(state["singular_vectors"], state["singular_values"])
    return model, spec.grid[0]


def _within(state: Mapping[str, Tensor], prefix: str) -> dict[str, Tensor]:
    return {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}


def saved_scorer(weights: Path, split: Split) -> Scorer:
    """A function scoring every item for users, by the model a ``model.pt`` holds.

    Raises:
        RuntimeError: A GNN's weights do not fit the data as it loads now.
        ConfigError: A saved graph filter does not fit it.
    """
    saved = torch.load(weights, map_location="cpu", weights_only=True)
    model = model_from_dict(saved["architecture"])
    state = saved["state_dict"]
    if isinstance(model, Ensemble):
        raise ConfigError(
            f"{weights}: an ensemble predicts clicks of (user, item) pairs (task=ctr); it has "
            "no ranking of every item to recommend from"
        )
    if isinstance(model, GraphFilter):
        graph_filter, point = load_filter(model, state, split)
        return lambda users: graph_filter.scores(users, *point)
    if isinstance(model, Blend):
        trained_on = train_and_valid(split) if model.refit else split
        gnn = load_gnn(model.base, _within(state, "gnn."), trained_on)
        graph_filter, point = load_filter(model.filter, _within(state, "graph_filter."), split)
        blended = BlendedRecommender(gnn, graph_filter, point)
        (weight,) = model.weight
        return lambda users: blended.scores(users, weight)
    gnn = load_gnn(model, state, split)
    with torch.no_grad():
        user_rows, item_rows = gnn()
    return lambda users: user_rows[users] @ item_rows.T
