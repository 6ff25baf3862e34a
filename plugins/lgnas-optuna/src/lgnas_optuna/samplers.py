"""The Optuna samplers lgnas offers, each a strategy whose parameters are the sampler's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from lgnas.errors import ConfigError
from lgnas.space import SearchSpace
from lgnas_optuna.objectives import check_objectives
from lgnas_optuna.study import OptunaSearch

if TYPE_CHECKING:
    import optuna


class TPESearch(OptunaSearch):
    """Optuna's Tree-structured Parzen Estimator (Bergstra et al., NeurIPS 2011).

    Every gene is an Optuna parameter; conditional genes are suggested only when active.

    Args:
        space: The space to search.
        seed: Seeds the sampler.
        n_startup_trials: Random trials before the Parzen estimators are used.
        multivariate: Model the joint distribution of parameters (Falkner et al., 2018),
            grouped by which parameters occur together (conditional spaces).
        n_ei_candidates: Candidates scored by expected improvement per proposal.
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        n_startup_trials: int = 10,
        multivariate: bool = True,
        n_ei_candidates: int = 24,
    ) -> None:
        super().__init__(space, seed)
        if n_startup_trials < 0 or n_ei_candidates < 1:
            raise ConfigError(
                "optuna_tpe: n_startup_trials must be >= 0 and n_ei_candidates >= 1, got "
                f"{n_startup_trials} and {n_ei_candidates}"
            )
        self.n_startup_trials = n_startup_trials
        self.multivariate = multivariate
        self.n_ei_candidates = n_ei_candidates

    def _sampler(self) -> optuna.samplers.BaseSampler:
        from optuna.samplers import TPESampler

        return TPESampler(
            seed=self.seed,
            n_startup_trials=self.n_startup_trials,
            multivariate=self.multivariate,
            group=self.multivariate,
            n_ei_candidates=self.n_ei_candidates,
        )


class CmaEsSearch(OptunaSearch):
    """Optuna's CMA-ES (Hansen, 2016) on the continuous encoding of the space.

    CMA-ES models continuous parameters only, so it searches the encoding (one-hot blocks,
    scaled numbers) and each vector is decoded to the nearest valid point; categorical and
    conditional dimensions are thereby searched too.

    Args:
        space: The space to search.
        seed: Seeds the sampler.
        sigma0: Initial step size in the unit box (``None``: Optuna's default, 1/6).
        popsize: Candidates per generation (``None``: CMA-ES's default, 4 + 3 ln D).
    """

    relaxed: ClassVar[bool] = True

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        sigma0: float | None = None,
        popsize: int | None = None,
    ) -> None:
        super().__init__(space, seed)
        if (sigma0 is not None and sigma0 <= 0) or (popsize is not None and popsize < 2):
            raise ConfigError(
                f"optuna_cmaes: sigma0 must be > 0 and popsize >= 2, got {sigma0} and {popsize}"
            )
        self.sigma0 = sigma0
        self.popsize = popsize

    def _sampler(self) -> optuna.samplers.BaseSampler:
        from optuna.samplers import CmaEsSampler

        return CmaEsSampler(
            seed=self.seed,
            sigma0=self.sigma0,
            popsize=self.popsize,
            warn_independent_sampling=False,
        )


class NSGA2Search(OptunaSearch):
    """Optuna's NSGA-II (Deb et al., 2002), for one objective or several at once.

    With ``objectives=[objective, -cost.parameters]`` the study keeps the Pareto front of
    accuracy and model size; :meth:`recommend` is still the most accurate candidate.

    Args:
        space: The space to search.
        seed: Seeds the sampler.
        objectives: What to maximise: ``objective``, ``metrics.<name>``, ``cost.<name>``,
            each optionally prefixed by ``-`` to minimise it.
        population_size: Candidates per generation.
        crossover_prob: Probability of a child by crossover rather than a copy.
        mutation_prob: Per-parameter mutation probability (``None``: 1 / parameters).
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        objectives: Sequence[str] = ("objective",),
        population_size: int = 20,
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
    ) -> None:
        super().__init__(space, seed)
        if population_size < 2 or not 0 <= crossover_prob <= 1:
            raise ConfigError(
                "optuna_nsga2: population_size must be >= 2 and crossover_prob in [0, 1], got "
                f"{population_size} and {crossover_prob}"
            )
        self.objectives = check_objectives("optuna_nsga2", objectives)
        self.population_size = population_size
        self.crossover_prob = crossover_prob
        self.mutation_prob = mutation_prob

    def _sampler(self) -> optuna.samplers.BaseSampler:
        from optuna.samplers import NSGAIISampler

        return NSGAIISampler(
            seed=self.seed,
            population_size=self.population_size,
            crossover_prob=self.crossover_prob,
            mutation_prob=self.mutation_prob,
        )
