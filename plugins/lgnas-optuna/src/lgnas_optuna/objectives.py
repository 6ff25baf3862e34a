"""Which numbers of a trial result an Optuna study optimises.

A spec names a field of :class:`~lgnas.trials.trial.TrialResult`: ``objective`` (the search
objective, maximised), ``metrics.<name>`` or ``cost.<name>``; a leading ``-`` minimises it,
e.g. ``[objective, -cost.parameters]`` trades accuracy against model size (NSGA-II).
"""

from __future__ import annotations

from collections.abc import Sequence

from lgnas.errors import ConfigError
from lgnas.trials import TrialResult

_FIELDS = ("metrics", "cost")


def check_objectives(strategy: str, specs: Sequence[str]) -> tuple[str, ...]:
    """The specs as a tuple; :class:`ConfigError` naming the first malformed one."""
    if isinstance(specs, str) or not specs:
        raise ConfigError(f"{strategy}: objectives must be a non-empty list, got {specs!r}")
    for spec in specs:
        field, _, key = str(spec).lstrip("-").partition(".")
        if not (field == "objective" and not key) and not (field in _FIELDS and key):
            raise ConfigError(
                f"{strategy}: objective {spec!r} is not 'objective', 'metrics.<name>' or "
                "'cost.<name>' (prefix '-' to minimise)"
            )
    return tuple(str(spec) for spec in specs)


def objective_values(result: TrialResult, specs: Sequence[str]) -> list[float] | None:
    """The values to maximise, in spec order; ``None`` if the trial failed or lacks one."""
    if not result.ok:
        return None
    values = []
    for spec in specs:
        sign = -1.0 if spec.startswith("-") else 1.0
        field, _, key = spec.lstrip("-").partition(".")
        value = result.objective if field == "objective" else getattr(result, field).get(key)
        if value is None:
            return None
        values.append(sign * float(value))
    return values
