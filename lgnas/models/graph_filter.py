"""A training-free graph-filter recommender (GF-CF) as a plain, validated value.

The counterpart of :class:`~lgnas.models.architecture.Architecture` for a model that is
computed, not trained: what the filter is made of and the grids its two hyper-parameters
are chosen from on validation (:func:`lgnas.training.closed_form.fit_graph_filter`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from lgnas.errors import ConfigError

FAMILY = "graph_filter"
"""The ``family`` key a saved graph filter carries, so a recipe file says what it holds."""


def _grid(key: str, value: Any, kind: type, minimum: float) -> tuple[Any, ...]:
    """One value or a list of them, as a sorted tuple of distinct values >= ``minimum``."""
    values = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    for v in values:
        wrong = isinstance(v, bool) or not isinstance(v, int if kind is int else (int, float))
        if wrong or v < minimum:
            what = "an integer" if kind is int else "a number"
            raise ConfigError(
                f"graph filter key {key!r}: {v!r} must be {what} >= {minimum:g} "
                f"(model.arch.{key} takes one value or a list to choose from on validation)"
            )
    if not values:
        raise ConfigError(f"graph filter key {key!r} is an empty list; give at least one value")
    return tuple(sorted({kind(v) for v in values}))


SOLVERS: dict[str, int] = {"euler": 1, "rk4": 4}
"""How the sharpening equation is integrated, and the order of the polynomial in ``P̃`` that
one step of it is: for the linear equation ``dx/dt = -x P̃`` one step of length ``h`` of
Euler's method is ``I - hP̃`` and of the classic Runge-Kutta method the Taylor series of
``exp(-hP̃)`` to the 4th power (BSPM-EM's published Gowalla setting: ``rk4``, ``h = 2.5``)."""


class GridPoint(NamedTuple):
    """One filter of a grid: what validation chooses among."""

    alpha: float
    rank: int
    sharpen: float = 0.0
    solver: str = "euler"

    @property
    def sharpening(self) -> tuple[float, ...]:
        """The coefficients ``c_j`` of the sharpening step ``Σ_j c_j P̃^j`` (``(1.0,)``
        without one): ``(-h)^j / j!`` up to the solver's order."""
        order = SOLVERS[self.solver] if self.sharpen > 0 else 0
        return tuple((-self.sharpen) ** j / math.factorial(j) for j in range(order + 1))


def describe_point(plain: Mapping[str, Any]) -> str:
    """``alpha 0.3, rank 1024, sharpen 0.75``: a saved filter's chosen point (or grids),
    its solver named when it sharpens (filters saved before solvers existed have none)."""
    keys = ["alpha", "rank", "sharpen"]
    if plain.get("sharpen") and "solver" in plain:
        keys.append("solver")
    return ", ".join(f"{key} {plain[key]}" for key in keys)


def _solvers(value: Any) -> tuple[str, ...]:
    """One solver name or a list of them, distinct, in :data:`SOLVERS` order."""
    values = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    for v in values:
        if not isinstance(v, str) or v not in SOLVERS:
            raise ConfigError(
                f"graph filter key 'solver': {v!r} is not one of {sorted(SOLVERS)} "
                "(model.arch.solver takes one name or a list to choose from on validation)"
            )
    if not values:
        raise ConfigError("graph filter key 'solver' is an empty list; give at least one value")
    return tuple(name for name in SOLVERS if name in values)


@dataclass(frozen=True)
class GraphFilter:
    """GF-CF (Shen et al., CIKM 2021), optionally sharpened as in BSPM (Choi et al., SIGIR 2023).

    With ``P̃ = R̃ᵀR̃``, ``R̃`` the degree-normalised training matrix and ``V_k`` its top
    ``k`` right singular vectors, GF-CF scores ``x_u = r_u (P̃ + α D_I^{-1/2} V_k V_kᵀ
    D_I^{1/2})``: a linear item-item filter (blurring) plus an ideal low-pass one. BSPM
    then sharpens the blurred scores by the reverse heat equation ``dx/dt = -x P̃``; here
    one step of length ``sharpen``, by Euler's method ``s_u = x_u (I - sharpen · P̃)`` or by
    the classic Runge-Kutta method (``solver: rk4``, a polynomial of degree 4 in ``P̃``, as
    the published BSPM-EM), which removes part of what every item shares with its
    neighbourhood (0: GF-CF itself). See
    :class:`~lgnas.models.filter_recommender.GraphFilterRecommender`. Nothing is trained:
    ``alpha``, ``rank``, ``sharpen`` and ``solver`` each take one value or a grid, and the
    fit keeps the point that scores best on validation. The GF-CF paper uses ``alpha=0.3``,
    ``rank=256`` on its three datasets, chosen without a validation split; here the grid is
    searched on validation.

    Attributes:
        alpha: Weight of the ideal low-pass filter (0: the linear filter alone).
        rank: ``k``, the singular vectors the low-pass filter keeps.
        sharpen: Length of the sharpening step (0: none, GF-CF).
        solver: How the step is taken: ``euler`` or ``rk4`` (see :data:`SOLVERS`).
        power_iterations: Power iterations of the randomised truncated SVD.
        oversample: Extra columns of the randomised SVD beyond the largest ``rank``; they
            make its top ``rank`` vectors accurate and are then dropped.
        refit: After choosing on validation, rebuild the filter from the training and
            validation interactions for the test, as in the paper, whose filter reads every
            interaction outside the test split. Off by default: trained models learn from
            the training split alone, and a search compares them with this filter.
    """

    alpha: tuple[float, ...] | float = (0.0, 0.1, 0.3, 0.5, 1.0)
    rank: tuple[int, ...] | int = (32, 64, 128, 256, 512, 1024)
    sharpen: tuple[float, ...] | float = (0.0,)
    solver: tuple[str, ...] | str = ("euler",)
    power_iterations: int = 4
    oversample: int = 32
    refit: bool = False

    family: ClassVar[str] = FAMILY

    def __post_init__(self) -> None:
        object.__setattr__(self, "alpha", _grid("alpha", self.alpha, float, 0.0))
        object.__setattr__(self, "rank", _grid("rank", self.rank, int, 1))
        object.__setattr__(self, "sharpen", _grid("sharpen", self.sharpen, float, 0.0))
        object.__setattr__(self, "solver", _solvers(self.solver))
        for key in ("power_iterations", "oversample"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"graph filter key {key!r}: {value!r} must be an integer >= 0")
        if not isinstance(self.refit, bool):
            raise ConfigError(f"graph filter key 'refit': {self.refit!r} must be true or false")

    @property
    def grid(self) -> list[GridPoint]:
        """Every ``(alpha, rank, sharpen, solver)`` point, by rank, then alpha, sharpen and
        solver: on a tie the first one (the smallest, least sharpened filter) is kept.
        ``alpha=0`` ignores the rank, so it comes once per sharpening, with the smallest
        rank; ``sharpen=0`` ignores the solver, so it comes once, with the first."""
        return [
            GridPoint(alpha, rank, sharpen, solver)
            for rank in self.rank
            for alpha in self.alpha
            if alpha > 0 or rank == self.rank[0]
            for sharpen in self.sharpen
            for solver in self.solver
            if sharpen > 0 or solver == self.solver[0]
        ]

    def chosen(self, point: GridPoint) -> GraphFilter:
        """This filter with its grids narrowed to one point (what a fit selected)."""
        return dataclasses.replace(self, **point._asdict())

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> GraphFilter:
        """Build from a plain mapping (YAML), refusing unknown keys; ``family`` is optional."""
        values = {k: v for k, v in values.items() if k != "family"}
        valid = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - valid)
        if unknown:
            raise ConfigError(
                f"unknown graph filter key(s) {unknown}; valid keys are {sorted(valid)}"
            )
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """A plain mapping, marked with its ``family``, that :meth:`from_dict` reads back.

        A one-value grid is written as the value.
        """
        plain: dict[str, Any] = {"family": FAMILY}
        for key, value in dataclasses.asdict(self).items():
            is_grid = isinstance(value, tuple)
            plain[key] = (value[0] if len(value) == 1 else list(value)) if is_grid else value
        return plain
