"""An lgnas search space as Optuna parameters, suggested define-by-run.

Each gene is one Optuna parameter: a dimension, or one layer of a per-layer dimension
(``op[1]``). Genes are suggested in the space's dependency order and only while active, so
conditional dimensions (``heads`` only for GAT layers) are conditional parameters in Optuna.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lgnas.errors import ConfigError
from lgnas.space import Categorical, Dimension, Float, Integer, SearchSpace
from lgnas.trials import Point

if TYPE_CHECKING:
    import optuna


def param_name(dim: Dimension, layer: int | None) -> str:
    """The Optuna parameter of one gene."""
    return dim.name if layer is None else f"{dim.name}[{layer}]"


def suggest(trial: optuna.Trial, space: SearchSpace) -> Point:
    """The point whose genes ``trial`` suggests, one Optuna distribution per active gene."""
    return space.build(lambda dim, layer: _suggest_gene(trial, dim, param_name(dim, layer)))


def params(space: SearchSpace, point: Point) -> dict[str, Any]:
    """The Optuna parameters of a point, to enqueue it as a trial."""
    out = {}
    for name, value in space.validate(point).items():
        dim = space.dimensions[name]
        genes = enumerate(value) if dim.per_layer else [(None, value)]
        out.update({param_name(dim, layer): gene for layer, gene in genes})
    return out


def suggest_relaxed(trial: optuna.Trial, space: SearchSpace) -> Point:
    """The point a vector of ``[0, 1]`` floats encodes (:meth:`SearchSpace.decode`).

    For samplers that model continuous parameters only (CMA-ES): every space, categorical
    choices and conditions included, becomes a box of the same dimension.
    """
    vector = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(space.encoding_size)]
    return space.decode(vector)


def relaxed_params(space: SearchSpace, point: Point) -> dict[str, float]:
    """The ``[0, 1]`` parameters that encode a point, to enqueue it as a trial."""
    return {f"x{i}": float(x) for i, x in enumerate(space.encode(point))}


def _suggest_gene(trial: optuna.Trial, dim: Dimension, name: str) -> Any:
    if isinstance(dim, Categorical):
        return trial.suggest_categorical(name, list(dim.choices))
    if isinstance(dim, Integer):
        if dim.log and dim.step != 1:
            raise ConfigError(
                f"dimension {dim.name!r}: Optuna samples log-scaled integers only with step 1, "
                f"got step {dim.step}; drop `log` or `step`"
            )
        return trial.suggest_int(name, int(dim.low), int(dim.high), step=dim.step, log=dim.log)
    if isinstance(dim, Float):
        return trial.suggest_float(name, dim.low, dim.high, log=dim.log)
    raise ConfigError(f"dimension {dim.name!r}: no Optuna distribution for {type(dim).__name__}")
