"""Transfer from earlier searches (``search.prior``): their best points, asked first here.

A prior is an earlier search's journal: its run directory (the ``journal.jsonl`` in it), the
journal file itself, or ``shipped:<name>``, a journal shipped with lgnas in ``lgnas/priors/``
(``<name>.jsonl``). Any dataset will do; the space must be compatible:

* **Compatible spaces** declare the same dimension names. A prior whose space has another set
  is refused with one line naming the dimensions that differ.
* **Its best points**: the ``top`` best distinct points that succeeded at the highest fidelity
  of the prior's journal, ranked by this search's objective when the prior recorded it (its
  ``val/<objective>`` metric), else by the prior's own. A point that is not valid in this
  space (a value outside its choices or ranges) is dropped, counted, and the next best taken.
* **Several priors** are interleaved by rank (the best of each, then the second of each,
  ...), a point already taken skipped.

``auto`` (the default) stands for every shipped prior whose space is compatible with this
search's, and for none when none is: a search of another space then simply has no prior.

Only the points transfer: they are this search's first candidates, trained and scored afresh
on its data; the priors' results never enter its journal or leaderboard.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas.trials import Point, metric_utility
from lgnas.trials.journal_file import read_lines

logger = logging.getLogger(__name__)

AUTO = "auto"
"""``search.prior=auto``: the shipped priors of compatible spaces (see :func:`auto_priors`)."""
SHIPPED = "shipped:"
"""Prefix of a prior shipped with lgnas: ``shipped:<name>`` is ``lgnas/priors/<name>.jsonl``."""
PRIORS_DIR = Path(__file__).resolve().parents[1] / "priors"
JOURNAL = "journal.jsonl"


@dataclass(frozen=True)
class PriorPoints:
    """What the priors give a search.

    Attributes:
        points: The points to ask first, valid in this space, best first (interleaved).
        dropped: The priors' better points left out as invalid in this space.
        sources: The journal files read, one per prior.
    """

    points: tuple[Point, ...]
    dropped: int
    sources: tuple[Path, ...]


def shipped_priors() -> list[str]:
    """Names of the priors shipped with lgnas (``search.prior=shipped:<name>``)."""
    return sorted(path.stem for path in PRIORS_DIR.glob("*.jsonl"))


def auto_priors(space: SearchSpace) -> list[str]:
    """The shipped priors (``shipped:<name>``) whose space has this space's dimension names."""
    chosen = []
    for name in shipped_priors():
        spec = f"{SHIPPED}{name}"
        header = (_records(spec, prior_journal(spec)) or [{}])[0]
        dimensions = (header.get("search_space") or {}).get("dimensions") or {}
        if set(dimensions) == set(space.names):
            chosen.append(spec)
    return chosen


def prior_journal(spec: str) -> Path:
    """The journal file ``search.prior`` entry ``spec`` names.

    Relative paths are taken from the current directory (lgnas's Hydra runs do not change it).

    Raises:
        ConfigError: ``spec`` names no journal; the message says what was expected.
    """
    if spec.startswith(SHIPPED):
        name = spec[len(SHIPPED) :]
        path = PRIORS_DIR / f"{name}.jsonl"
        if not path.is_file():
            raise ConfigError(
                f"search.prior={spec}: lgnas ships no prior named {name!r}; shipped priors: "
                f"{shipped_priors()}"
            )
        return path
    path = Path(spec)
    if path.is_dir():
        if not (path / JOURNAL).is_file():
            raise ConfigError(
                f"search.prior={spec}: the directory holds no {JOURNAL}; give an earlier "
                "search's run directory or its journal file"
            )
        return path / JOURNAL
    if not path.is_file():
        raise ConfigError(
            f"search.prior={spec}: no such file or directory (relative to {Path.cwd()}); give "
            f"an earlier search's run directory, its {JOURNAL}, or {SHIPPED}<name>"
        )
    return path


def load_prior(specs: Sequence[str], space: SearchSpace, objective: str, top: int) -> PriorPoints:
    """The best points of the priors ``specs`` for a search of ``space`` (see the module).

    Args:
        specs: ``search.prior`` entries.
        space: This search's space: points must be valid in it.
        objective: This search's objective (``ndcg@20``), which ranks the priors' trials.
        top: Points taken from each prior.

    Raises:
        ConfigError: A prior is missing, not a journal, or its space is incompatible.
    """
    if tuple(specs) == (AUTO,):
        specs = auto_priors(space)
    ranked, dropped, sources = [], 0, []
    for spec in specs:
        path = prior_journal(spec)
        points, invalid = _best_points(spec, path, space, objective, top)
        ranked.append(points)
        dropped += invalid
        sources.append(path)
    chosen: dict[str, Point] = {}
    for point in itertools.chain.from_iterable(itertools.zip_longest(*ranked)):
        if point is not None:
            chosen.setdefault(space.key(point), point)
    if dropped:
        logger.warning(
            "search.prior: %d of the priors' better points are not valid in this search's space "
            "(values outside its choices or ranges) and were left out",
            dropped,
        )
    if not specs:
        logger.info("search.prior=auto: no shipped prior searched this space; none is used")
    else:
        count = len(chosen)
        logger.info("search.prior: the first %d candidates are the priors' best points", count)
    return PriorPoints(tuple(chosen.values()), dropped, tuple(sources))


def _best_points(
    spec: str, path: Path, space: SearchSpace, objective: str, top: int
) -> tuple[list[Point], int]:
    """One prior's ``top`` best points valid in ``space``, best first, and how many better
    ones were invalid."""
    records = _records(spec, path)
    header = records[0] if records else {}
    prior_space = header.get("search_space")
    if header.get("type") != "header" or not isinstance(prior_space, Mapping):
        raise ConfigError(f"search.prior={spec}: {path} is not an lgnas search journal")
    _check_compatible(spec, set(prior_space.get("dimensions") or {}), space)
    ok = [
        r
        for r in records[1:]
        if r.get("type") == "trial" and r.get("status") == "ok" and _finite(r.get("objective"))
    ]
    levels = {r.get("fidelity") for r in ok}
    highest = None if None in levels else max(levels, default=None)  # None: full fidelity
    ok = [r for r in ok if r.get("fidelity") == highest]
    # Rank by this search's objective where the prior recorded it, else by the prior's own.
    metric = f"val/{objective}"
    own = header.get("objective") == objective or not all(
        _finite((r.get("metrics") or {}).get(metric)) for r in ok
    )
    if own and header.get("objective") != objective:
        logger.info(
            "search.prior=%s recorded no %s; its trials are ranked by its objective %s",
            spec,
            metric,
            header.get("objective"),
        )
    ranked = sorted(  # stable: on a tie the earlier trial first; objectives are utilities
        ok,
        key=lambda r: (
            -(float(r["objective"]) if own else metric_utility(objective, r["metrics"][metric]))
        ),
    )
    points: dict[str, Point] = {}
    considered: set[str] = set()  # the prior's own keys, so a repeated point counts once
    dropped = 0
    for record in ranked:
        if len(points) >= top:
            break
        prior_key = record.get("key") or json.dumps(record.get("point"), sort_keys=True)
        if prior_key in considered:
            continue
        considered.add(prior_key)
        try:
            point = space.validate(record.get("point"))
        except ConfigError:
            dropped += 1
            continue
        points.setdefault(space.key(point), point)
    if not ok:
        logger.warning("search.prior=%s: the journal has no successful trial to learn from", spec)
    return list(points.values()), dropped


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_compatible(spec: str, prior: set[str], space: SearchSpace) -> None:
    here = set(space.names)
    if prior != here:
        raise ConfigError(
            f"search.prior={spec}: its space differs in dimensions {sorted(prior ^ here)} "
            f"(missing here: {sorted(prior - here)}, extra here: {sorted(here - prior)}); "
            "use a prior from a search of a compatible space (the same dimension names)"
        )


def _records(spec: str, path: Path) -> list[dict[str, Any]]:
    """The journal's records, read only (a torn last line is skipped, never cut off)."""
    lines = read_lines(path)
    lines.check(where=f"search.prior={spec}: ")
    return [record for _, record in lines.records]
