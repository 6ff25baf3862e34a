"""What a multi-objective search trades off: the quality objective against costs.

``search.objectives`` lists them, e.g. ``[ndcg@20, -parameters]`` or ``[ndcg@20, -latency,
-train_seconds]``. A bare name is maximised, a leading ``-`` minimises it. Exactly one entry
is the quality objective, which must be ``search.objective`` (its utility is
:attr:`TrialResult.objective`); every other entry is a cost the evaluator records in
``TrialResult.cost``. The objective vector is therefore derived from what the journal already
holds (``objective`` and ``cost``), never stored twice.

A metric's direction is its own: most are maximised, those in :data:`MINIMISED_METRICS`
(LogLoss) minimised, whichever way it is asked for. :func:`metric_utility` turns a value
into the utility every strategy maximises, so ``search.objective=logloss`` needs no sign.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lgnas.errors import ConfigError

#: Cost names usable in ``search.objectives`` -> their key in ``TrialResult.cost``.
COSTS = {
    "parameters": "parameters",
    "latency": "latency_ms_per_1k_users",
    "train_seconds": "train_seconds",
}
EXAMPLE = "[ndcg@20, -parameters]"

MINIMISED_METRICS = frozenset({"logloss"})
"""Validation metrics where lower is better (``lgnas.metrics`` classes with
``higher_is_better = False``); every other metric is maximised."""


def is_minimised(metric: str) -> bool:
    """Whether a metric key (``logloss``, ``ndcg@20``, ``val/logloss``) is better lower."""
    return metric.rpartition("/")[2].partition("@")[0] in MINIMISED_METRICS


def metric_utility(metric: str, value: float) -> float:
    """A metric's value on the scale strategies maximise: the value, negated if minimised."""
    return -value if is_minimised(metric) else value


def metric_better(metric: str, value: float, other: float) -> bool:
    """Whether ``value`` of ``metric`` is strictly better than ``other``."""
    return metric_utility(metric, value) > metric_utility(metric, other)


class Scored(Protocol):
    """Anything with a trial's objective and costs: a ``TrialResult`` or a report record."""

    objective: float | None
    cost: dict[str, Any]


@dataclass(frozen=True)
class Objective:
    """One coordinate of the objective vector.

    Attributes:
        name: The quality metric (``ndcg@20``) or a cost name from :data:`COSTS`.
        cost_key: The cost's key in ``TrialResult.cost``; ``None`` for the quality objective.
    """

    name: str
    cost_key: str | None = None

    @property
    def spec(self) -> str:
        """How ``search.objectives`` writes it: costs and minimised metrics with a leading ``-``."""
        minimised = self.cost_key is not None or is_minimised(self.name)
        return f"-{self.name}" if minimised else self.name

    def value(self, trial: Scored) -> float | None:
        """The trial's value in natural units (a metric, parameters, ms, s); ``None`` if
        missing or not finite. A trial's objective is a utility (:func:`metric_utility`),
        which negating a minimised metric's turns back into its value."""
        raw = trial.objective if self.cost_key is None else trial.cost.get(self.cost_key)
        if raw is None or not math.isfinite(float(raw)):
            return None
        return float(raw) if self.cost_key else metric_utility(self.name, float(raw))

    def utility(self, trial: Scored) -> float | None:
        """The value on the scale comparisons use, higher is better.

        Costs enter as ``-log10``: they span orders of magnitude (10k to 10M parameters),
        and halving a cost should count the same at any size. Non-positive costs have no
        log and count as missing.
        """
        value = self.value(trial)
        if value is None or self.cost_key is None:
            return None if value is None else metric_utility(self.name, value)
        return -math.log10(value) if value > 0 else None


def utilities(objectives: Sequence[Objective], trial: Scored) -> tuple[float, ...] | None:
    """The trial's objective vector (each coordinate maximised), or ``None`` when the trial
    failed or lacks one of the values."""
    vector = tuple(o.utility(trial) for o in objectives)
    return None if any(v is None for v in vector) else vector  # type: ignore[return-value]


def parse_objectives(
    specs: Any, quality: str | None = None, where: str = "search.objectives"
) -> tuple[Objective, ...]:
    """Parse ``search.objectives`` (a list of names, costs prefixed with ``-``).

    Args:
        specs: The configured list.
        quality: The search's quality objective (``search.objective``); when given, the one
            quality entry must be it.
        where: The config key named in errors.

    Raises:
        ConfigError: Not a list of names, a name twice, a cost not minimised, a metric
            minimised, not exactly one quality entry, or it is not ``quality``.
    """
    if isinstance(specs, str) or not isinstance(specs, Sequence) or not specs:
        raise ConfigError(f"{where}={specs!r} must be a non-empty list, e.g. {EXAMPLE}")
    parsed = []
    for spec in specs:
        if not isinstance(spec, str) or spec.strip("-+ ") == "":
            raise ConfigError(f"{where}: {spec!r} is not an objective name, e.g. {EXAMPLE}")
        name = spec.lstrip("-+").strip()
        minimised = spec.startswith("-")
        if is_minimised(name) and not minimised:
            raise ConfigError(f"{where}: {name!r} is minimised: write '-{name}'")
        if name in COSTS:
            if not minimised:
                raise ConfigError(
                    f"{where}: {name!r} is a cost, which is minimised: write '-{name}'"
                )
            parsed.append(Objective(name, COSTS[name]))
        elif minimised and not is_minimised(name):
            costs = ", ".join(f"-{c}" for c in COSTS)
            raise ConfigError(
                f"{where}: {spec!r} is not a cost ({costs}); a validation metric is maximised, "
                f"write {name!r}"
            )
        else:
            parsed.append(Objective(name))
    names = [o.name for o in parsed]
    if len(set(names)) < len(names):
        raise ConfigError(f"{where}={list(specs)} names an objective twice")
    metrics = [o.name for o in parsed if o.cost_key is None]
    if len(metrics) != 1:
        raise ConfigError(
            f"{where}={list(specs)} must hold exactly one quality metric (the maximised "
            f"validation objective) and costs from {sorted(COSTS)}, e.g. {EXAMPLE}"
        )
    if quality is not None and metrics[0] != quality:
        raise ConfigError(
            f"{where}: the quality entry {metrics[0]!r} is not search.objective={quality!r}; "
            f"set search.objective={metrics[0]} or list {quality} in {where}"
        )
    return tuple(parsed)
