"""Weight inheritance: a candidate starts from a related model's trained weights.

A staged search's stage-2 candidate changes one layer's cell of its parent; its embeddings and
unchanged layers keep their names and shapes, so it can start from the parent's trained
tensors and needs few epochs to show what its new cell is worth.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn


def inherit_weights(model: nn.Module, parent: Mapping[str, torch.Tensor]) -> list[str]:
    """Copy into ``model`` each of ``parent``'s tensors whose name and shape it shares.

    Everything else keeps ``model``'s own (freshly initialised) values, so a changed cell
    trains from its usual initialisation next to inherited neighbours.

    Returns:
        The copied state-dict keys, in ``model``'s order.
    """
    own = model.state_dict()
    copied = [
        name
        for name, tensor in own.items()
        if name in parent and parent[name].shape == tensor.shape
    ]
    with torch.no_grad():
        for name in copied:
            own[name].copy_(parent[name])
    return copied


def save_weights(model: nn.Module, path: Path) -> None:
    """Write ``model``'s state dict to ``path`` whole or not at all (a temporary name, then
    a rename), so a killed trial never leaves a torn file for a child to inherit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(model.state_dict(), partial)
    os.replace(partial, path)


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """A state dict :func:`save_weights` wrote, on the CPU."""
    return torch.load(path, map_location="cpu", weights_only=True)
