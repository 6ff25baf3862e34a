"""A trained GNN blended with a training-free graph filter: the two score every item, the
blend ranks by a weighted sum of their per-user standardised scores.

The two make different errors: a GNN learns smooth embeddings that favour an item's broad
neighbourhood, a graph filter (GF-CF, BSPM) keeps each user's exact co-occurrence signal. On
ml-100k a blend of LightGCN with BSPM scores above either on validation and on test
(BENCHMARKS.md). The weight is chosen on validation from a grid that includes 0 (the GNN
alone) and 1 (the filter alone), so a blend never scores below both on validation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.filter_recommender import GraphFilterRecommender
from lgnas.models.graph_filter import GraphFilter, GridPoint

FAMILY = "blend"
"""The ``family`` key a saved blend carries."""

WEIGHTS = tuple(round(0.1 * step, 1) for step in range(11))
"""The default grid of the filter's weight: 0 (the GNN alone) to 1 (the filter alone)."""


def standardised(scores: Tensor) -> Tensor:
    """Each row shifted to mean 0 and scaled to standard deviation 1 over every item, so two
    models' scores add on one scale whatever their units (a constant row stays 0)."""
    mean = scores.mean(1, keepdim=True)
    spread = scores.std(1, keepdim=True)
    return (scores - mean) / torch.where(spread > 0, spread, 1.0)


@dataclass(frozen=True)
class Blend:
    """A GNN and a graph filter whose standardised scores are summed, the filter's weighted by
    ``weight`` and the GNN's by ``1 - weight``.

    Attributes:
        base: The GNN, trained as on its own.
        filter: The graph filter; its grid is chosen on validation alone, first. With its
            ``refit``, the test blends the GNN (which learnt from training alone) with the
            chosen filter rebuilt from training and validation.
        weight: The filter's weight, one value or a grid chosen on validation (after the
            filter's point); on a tie the smaller weight (more of the GNN) is kept.
        refit: After choosing on validation, refit both for the test on training and
            validation: the GNN retrained from scratch for as many epochs as validation
            chose (its best epoch), the filter rebuilt (this sets the filter's ``refit``).
            What a search selected stays selected; the test model has read every non-test
            interaction, as published models on benchmark splits without validation do.
    """

    base: Architecture
    filter: GraphFilter
    weight: tuple[float, ...] | float = WEIGHTS
    refit: bool = False

    family: ClassVar[str] = FAMILY

    def __post_init__(self) -> None:
        if not isinstance(self.base, Architecture):
            raise ConfigError(f"blend key 'base' must be a GNN architecture, not {self.base!r}")
        if not isinstance(self.filter, GraphFilter):
            raise ConfigError(f"blend key 'filter' must be a graph filter, not {self.filter!r}")
        if self.base.score != "dot" and self.base.score != "cosine":
            raise ConfigError(
                f"blend: the GNN's score={self.base.score!r} scores pairs (task=ctr); a blend "
                "ranks every item, with score dot or cosine"
            )
        weights = self.weight
        if isinstance(weights, Sequence) and not isinstance(weights, str):
            weights = list(weights)
        else:
            weights = [weights]
        for value in weights:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not 0 <= value <= 1:
                raise ConfigError(
                    f"blend key 'weight': {value!r} must be a number in [0, 1] (one value, or a "
                    "list to choose from on validation)"
                )
        if not weights:
            raise ConfigError("blend key 'weight' is an empty list; give at least one value")
        if not isinstance(self.refit, bool):
            raise ConfigError(f"blend key 'refit': {self.refit!r} must be true or false")
        if self.refit and not self.filter.refit:
            object.__setattr__(self, "filter", dataclasses.replace(self.filter, refit=True))
        object.__setattr__(self, "weight", tuple(sorted({float(v) for v in weights})))

    @property
    def num_layers(self) -> int:
        """The GNN's layers (what the training's warm-up reads)."""
        return self.base.num_layers

    def chosen(self, point: GridPoint, weight: float) -> Blend:
        """This blend with the filter's grid and the weight narrowed to what a fit chose."""
        return dataclasses.replace(self, filter=self.filter.chosen(point), weight=weight)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Blend:
        """Build from a plain mapping (``base``, ``filter``, ``weight``), refusing unknown keys."""
        values = {k: v for k, v in values.items() if k != "family"}
        unknown = sorted(set(values) - {"base", "filter", "weight", "refit"})
        if unknown:
            raise ConfigError(
                f"unknown blend key(s) {unknown}; valid keys are base, filter, weight and refit"
            )
        for key in ("base", "filter"):
            if not isinstance(values.get(key), Mapping):
                raise ConfigError(f"blend key {key!r} must be a mapping (the {key} model's keys)")
        return cls(
            Architecture.from_dict(values["base"]),
            GraphFilter.from_dict(values["filter"]),
            values.get("weight", WEIGHTS),
            values.get("refit", False),
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping, marked with its ``family``, that :meth:`from_dict` reads back."""
        weight = self.weight[0] if len(self.weight) == 1 else list(self.weight)
        return {
            "family": FAMILY,
            "base": self.base.to_dict(),
            "filter": self.filter.to_dict(),
            "weight": weight,
            "refit": self.refit,
        }


class BlendedRecommender(nn.Module):
    """A trained GNN and a computed filter, scoring users by :class:`Blend`'s sum.

    The GNN's representations are computed once (it is trained; nothing changes them).
    """

    def __init__(
        self, gnn: nn.Module, graph_filter: GraphFilterRecommender, point: GridPoint
    ) -> None:
        super().__init__()
        self.gnn = gnn
        self.graph_filter = graph_filter
        self.point = GridPoint(*point)
        self.gnn.eval()
        with torch.no_grad():
            users, items = self.gnn()
        self._users, self._items = users.detach(), items.detach()

    def parts(self, users: Tensor) -> tuple[Tensor, Tensor]:
        """The GNN's and the filter's standardised scores of every item, ``[B, items]`` each."""
        gnn = standardised(self._users[users] @ self._items.T)
        return gnn, standardised(self.graph_filter.scores(users, *self.point))

    def scores(self, users: Tensor, weight: float) -> Tensor:
        """The blend's scores of every item for ``users`` (``[B, items]``)."""
        gnn, graph_filter = self.parts(users)
        return torch.lerp(gnn, graph_filter, weight)
