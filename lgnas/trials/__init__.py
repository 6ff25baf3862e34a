"""The vocabulary every strategy, the search loop and the report share: what a trial is.

A bottom package: it imports nothing of lgnas but :mod:`lgnas.errors`, so any package
(spaces, strategies, the search, the report, plugins) can use it without import cycles.

* :mod:`lgnas.trials.trial`: points, candidates, results (:class:`Point`,
  :class:`Candidate`, :class:`TrialResult`), fidelities (proxy ones included) and a trial's
  log folder name.
* :mod:`lgnas.trials.objectives`: what a multi-objective search trades off
  (``search.objectives``) and the objective vector derived from a result.
* :mod:`lgnas.trials.dominance`: Pareto dominance and NSGA-II's sorting.
* :mod:`lgnas.trials.journal_file`: a search journal's lines read back (the search, the
  report and priors read journals).
"""

from __future__ import annotations

from lgnas.trials.dominance import (
    Vector,
    crowded_ranks,
    crowding_distance,
    dominates,
    nondominated_fronts,
)
from lgnas.trials.objectives import (
    COSTS,
    MINIMISED_METRICS,
    Objective,
    Scored,
    is_minimised,
    metric_better,
    metric_utility,
    parse_objectives,
    utilities,
)
from lgnas.trials.trial import (
    Candidate,
    Point,
    TrialResult,
    describe_fidelity,
    fidelity_epochs,
    fidelity_order,
    on_proxy,
    proxy_fidelity,
    trial_folder,
)

__all__ = [
    "COSTS",
    "MINIMISED_METRICS",
    "Candidate",
    "Objective",
    "Point",
    "Scored",
    "TrialResult",
    "Vector",
    "crowded_ranks",
    "crowding_distance",
    "describe_fidelity",
    "dominates",
    "fidelity_epochs",
    "fidelity_order",
    "is_minimised",
    "metric_better",
    "metric_utility",
    "nondominated_fronts",
    "on_proxy",
    "parse_objectives",
    "proxy_fidelity",
    "trial_folder",
    "utilities",
]
