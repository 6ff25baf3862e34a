"""An Optuna study driven through its ask/tell interface as an lgnas strategy."""

from __future__ import annotations

import warnings
from abc import abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from lgnas.space import SearchSpace
from lgnas.strategies.bridge import OptimizerBridge
from lgnas.trials import Point, TrialResult
from lgnas_optuna.distributions import params, relaxed_params, suggest, suggest_relaxed
from lgnas_optuna.objectives import objective_values

if TYPE_CHECKING:
    import optuna


class OptunaSearch(OptimizerBridge):
    """Base of the strategies backed by an Optuna sampler; a subclass builds the sampler.

    The study lives in memory and maximises; failed trials are told as failed (samplers
    skip them). Optuna is imported when the first candidate is asked.
    """

    #: Whether the sampler sees the space as its ``[0, 1]^D`` encoding (continuous-only
    #: samplers) instead of one Optuna distribution per gene.
    relaxed: ClassVar[bool] = False
    #: What the study optimises (see :mod:`lgnas_optuna.objectives`).
    objectives: tuple[str, ...] = ("objective",)

    def __init__(self, space: SearchSpace, seed: int = 0) -> None:
        super().__init__(space, seed)
        self._study: optuna.Study | None = None  # built on first use, once subclasses are set

    @abstractmethod
    def _sampler(self) -> optuna.samplers.BaseSampler:
        """The sampler, seeded with ``self.seed``."""

    @property
    def study(self) -> optuna.Study:
        """The in-memory study the strategy asks and tells."""
        if self._study is None:
            import optuna

            # The search loop reports every trial; Optuna's own per-trial lines would repeat it.
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                sampler = self._sampler()
            self._study = optuna.create_study(
                sampler=sampler, directions=["maximize"] * len(self.objectives)
            )
        return self._study

    def _propose(self) -> tuple[Any, Point]:
        trial = self._ask_trial()
        return trial, self._suggest(trial)

    def _impose(self, point: Point) -> Any:
        encode = relaxed_params if self.relaxed else params
        self.study.enqueue_trial(encode(self.space, point))
        trial = self._ask_trial()
        self._suggest(trial)  # fixes the enqueued values on the trial
        return trial

    def _report(self, ticket: Any, result: TrialResult) -> None:
        from optuna.trial import TrialState

        values = objective_values(result, self.objectives)
        if values is None:
            self.study.tell(ticket, state=TrialState.FAIL)
        else:
            self.study.tell(ticket, values)

    def _ask_trial(self) -> optuna.Trial:
        import optuna

        with warnings.catch_warnings():  # multivariate TPE and friends are "experimental"
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return self.study.ask()

    def _suggest(self, trial: optuna.Trial) -> Point:
        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return (suggest_relaxed if self.relaxed else suggest)(trial, self.space)
