"""The model families a preset or a saved recipe may name: trained GNNs and graph filters.

A GNN is an :class:`Architecture`; a training-free graph filter (GF-CF) a
:class:`GraphFilter`; a GNN blended with a filter a :class:`Blend`; click-through GNNs
averaged an :class:`Ensemble`. A saved filter carries ``family: graph_filter``, a blend
``family: blend``, an ensemble ``family: ensemble``; a mapping without ``family`` is an
architecture, as every recipe written before filters existed is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lgnas.errors import ConfigError
from lgnas.models.architecture import PRESETS, Architecture, preset
from lgnas.models.blend import FAMILY as BLEND
from lgnas.models.blend import Blend
from lgnas.models.ensemble import FAMILY as ENSEMBLE
from lgnas.models.ensemble import Ensemble
from lgnas.models.graph_filter import FAMILY, GraphFilter

Model = Architecture | GraphFilter | Blend | Ensemble
"""What ``fit`` accepts: a GNN to train, a graph filter to compute, a blend of the two, or an
ensemble of click-through GNNs."""

FILTER_PRESETS: dict[str, dict[str, Any]] = {
    # GF-CF (Shen et al., CIKM 2021): alpha and rank chosen on validation from the grids.
    "gfcf": {},
    # BSPM (Choi et al., SIGIR 2023): GF-CF, then one sharpening step, its length chosen too.
    "bspm": {"sharpen": (0.0, 0.25, 0.5, 0.75, 1.0)},
    # The same with the step taken by rk4, as the published BSPM-EM (Gowalla: rk4, step 2.5,
    # alpha 0.2): longer steps, and alpha 0.2 where validation on Gowalla peaked.
    "bspm_rk4": {
        "alpha": (0.0, 0.1, 0.2, 0.3, 0.5),
        "sharpen": (0.0, 1.5, 2.0, 2.5),
        "solver": "rk4",
    },
}


def model_preset(name: str, **overrides: Any) -> Model:
    """A published model by name (a GNN preset, ``gfcf`` or ``bspm``), some fields overridden."""
    if name in FILTER_PRESETS:
        return GraphFilter.from_dict({**FILTER_PRESETS[name], **overrides})
    if name not in PRESETS:
        names = sorted([*PRESETS, *FILTER_PRESETS])
        raise ConfigError(f"unknown model preset {name!r}; choose one of {names}")
    return preset(name, **overrides)


def model_from_dict(values: Mapping[str, Any]) -> Model:
    """The model a plain mapping (a recipe's ``arch``) describes, by its ``family`` key."""
    family = values.get("family")
    if family == FAMILY:
        return GraphFilter.from_dict(values)
    if family == BLEND:
        return Blend.from_dict(values)
    if family == ENSEMBLE:
        return Ensemble.from_dict(values)
    if family is not None:
        raise ConfigError(
            f"unknown model family {family!r}; write family: {FAMILY} for a graph filter, "
            f"family: {BLEND} for a GNN blended with one, family: {ENSEMBLE} for click-through "
            "GNNs averaged, or leave it out for a GNN architecture"
        )
    return Architecture.from_dict(values)
