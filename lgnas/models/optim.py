"""How a candidate is trained: the loss and optimiser settings, as a plain, validated value."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lgnas.settings import check_number, from_mapping


@dataclass(frozen=True)
class Optim:
    """The ``optim`` config group: one training recipe, part of what a search finds.

    A search space may search any of these fields next to the :class:`Architecture`'s; a
    point is checked by building both from it.

    Attributes:
        loss: Ranking loss, a name of :data:`lgnas.models.losses.LOSSES` (``bpr``, ``bce``,
            ``softmax`` over sampled negatives, ``full_softmax`` over every item).
        lr: Adam's learning rate.
        weight_decay: Adam's decoupled weight decay.
        reg: L2 on the batch's ID embeddings (LightGCN's regulariser).
        batch_size: Training interactions per step.
        num_negatives: Sampled negatives per positive.
        temperature: Scores are divided by it in the loss (~0.1 for cosine scores).
    """

    loss: str = "bpr"
    lr: float = 1.0e-3
    weight_decay: float = 0.0
    reg: float = 1.0e-4
    batch_size: int = 2048
    num_negatives: int = 1
    temperature: float = 1.0

    def __post_init__(self) -> None:
        from lgnas.models.losses import get_loss  # lazy: losses import torch

        get_loss(self.loss)
        check_number("optim.lr", self.lr, above=0.0)
        check_number("optim.weight_decay", self.weight_decay, minimum=0.0)
        check_number("optim.reg", self.reg, minimum=0.0)
        check_number("optim.batch_size", self.batch_size, minimum=1, integer=True)
        check_number("optim.num_negatives", self.num_negatives, minimum=1, integer=True)
        check_number("optim.temperature", self.temperature, above=0.0)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> Optim:
        """Build from plain config values, refusing unknown keys; missing keys take defaults
        (results saved before a key existed load with its default)."""
        return from_mapping(cls, values, "optim")

    def to_dict(self) -> dict[str, Any]:
        """Plain values that :meth:`from_dict` turns back into an equal ``Optim``."""
        return dataclasses.asdict(self)

    def updated(self, values: Mapping[str, Any]) -> Optim:
        """A copy with ``values`` (e.g. a search point's training keys) replacing fields."""
        return Optim.from_dict({**self.to_dict(), **values})


def optim_keys() -> tuple[str, ...]:
    """The fields of :class:`Optim`: the training keys a search space may search."""
    return tuple(f.name for f in dataclasses.fields(Optim))
