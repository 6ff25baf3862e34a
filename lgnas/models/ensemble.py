"""An ensemble of trained click-through models: the weighted mean of their click logits.

Models a search retrains make different errors (an MLP head on two GNN layers, a dot head on
one), so their mean predicts clicks better than the best of them. The weights come from
greedy ensemble selection on validation (Caruana et al., ICML 2004): each round adds, with
replacement, the member that most improves the running mean, and the best round is kept,
so an ensemble never scores below its best member on validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.optim import Optim

FAMILY = "ensemble"
"""The ``family`` key a saved ensemble carries."""


@dataclass(frozen=True)
class Ensemble:
    """Click-through models, each with its own recipe, whose logits are averaged.

    Attributes:
        members: ``(architecture, optim)`` of each model, trained as on its own.
        weight: Each member's weight (summing to 1), or ``None``: chosen on validation by
            greedy selection (:func:`~lgnas.training.ensemble.greedy_weights`).
        names: What each member is (``found-1``, ``lightgcn``), for reports; optional.
    """

    members: tuple[tuple[Architecture, Optim], ...]
    weight: tuple[float, ...] | None = None
    names: tuple[str, ...] | None = None

    family: ClassVar[str] = FAMILY

    def __post_init__(self) -> None:
        if len(self.members) < 2:
            raise ConfigError(
                f"ensemble key 'members' lists {len(self.members)} model(s); give at least two"
            )
        for arch, optim in self.members:
            if not isinstance(arch, Architecture) or not isinstance(optim, Optim):
                raise ConfigError(
                    "ensemble key 'members': each member is a mapping of a GNN 'arch' and its "
                    f"'optim', not {(arch, optim)!r}"
                )
        if self.names is not None:
            object.__setattr__(self, "names", tuple(str(name) for name in self.names))
            if len(self.names) != len(self.members):
                raise ConfigError(
                    f"ensemble members' names {list(self.names)}: give all "
                    f"{len(self.members)} members a name, or none"
                )
        if self.weight is None:
            return
        weights = [float(w) for w in self.weight]
        if len(weights) != len(self.members) or min(weights) < 0 or abs(sum(weights) - 1) > 1e-6:
            raise ConfigError(
                f"ensemble key 'weight': {list(self.weight)} must give each of the "
                f"{len(self.members)} members a weight >= 0, summing to 1 (or be null: chosen "
                "on validation)"
            )
        object.__setattr__(self, "weight", tuple(weights))

    @property
    def num_layers(self) -> int:
        """The deepest member's layers (what the training's warm-up reads)."""
        return max(arch.num_layers for arch, _ in self.members)

    def chosen(self, weight: Sequence[float]) -> Ensemble:
        """This ensemble with the weights a fit chose."""
        return Ensemble(self.members, tuple(weight), self.names)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Ensemble:
        """Build from a plain mapping (``members``, ``weight``), refusing unknown keys."""
        values = {k: v for k, v in values.items() if k != "family"}
        unknown = sorted(set(values) - {"members", "weight"})
        if unknown:
            raise ConfigError(f"unknown ensemble key(s) {unknown}; valid keys are members, weight")
        members = values.get("members")
        if not isinstance(members, Sequence) or isinstance(members, str):
            raise ConfigError("ensemble key 'members' must be a list of {arch, optim} mappings")
        parsed = []
        for n, member in enumerate(members):
            if not isinstance(member, Mapping) or not isinstance(member.get("arch"), Mapping):
                raise ConfigError(
                    f"ensemble member {n}: {member!r} must be a mapping with an 'arch' mapping "
                    "(and its 'optim', and a 'name')"
                )
            parsed.append(
                (Architecture.from_dict(member["arch"]), Optim.from_dict(member.get("optim")))
            )
        names = [member.get("name") for member in members]
        weight = values.get("weight")
        return cls(
            tuple(parsed),
            None if weight is None else tuple(weight),
            None if None in names else tuple(names),
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping, marked with its ``family``, that :meth:`from_dict` reads back."""
        members = [{"arch": a.to_dict(), "optim": o.to_dict()} for a, o in self.members]
        for member, name in zip(members, self.names or ()):
            member["name"] = name
        weight = None if self.weight is None else list(self.weight)
        return {"family": FAMILY, "members": members, "weight": weight}


class EnsembleModel(nn.Module):
    """Trained click-through modules (:class:`~lgnas.models.click_module.ClickModule`) and
    their weights (equal when none are given)."""

    def __init__(self, members: Sequence[nn.Module], weight: Sequence[float] | None = None) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        weight = [1 / len(members)] * len(members) if weight is None else list(weight)
        self.register_buffer("weight", torch.tensor(weight, dtype=torch.float64))
        self.eval()

    @torch.no_grad()
    def member_logits(self, users: Tensor, items: Tensor) -> Tensor:
        """Every member's click logits of the pairs ``(users, items)``, ``[M, n]`` float64."""
        # Each member propagates once for validation and test alike: its weights are trained.
        return torch.stack([module.pair_logits(users, items).double() for module in self.members])
