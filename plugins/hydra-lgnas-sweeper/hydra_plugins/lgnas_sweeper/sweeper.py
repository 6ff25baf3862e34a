"""A Hydra sweeper whose jobs an lgnas strategy proposes, generation by generation.

The strategy asks for ``batch_size`` points, the points become config overrides, Hydra's
launcher (whichever the app configures) runs them as one batch, and the jobs' return values
are told back: minimised or maximised, a job that raises or returns no number is a failed
trial. The best config is written to ``<sweep dir>/optimization_results.yaml``.
"""

from __future__ import annotations

import logging
import math
from numbers import Real
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


class LgnasSweeper(Sweeper):
    """Tunes the sweep overrides of any Hydra app with an lgnas strategy (see the config)."""

    def __init__(
        self,
        strategy: Any,
        trials: int,
        batch_size: int,
        direction: str,
        seed: int,
        params: Any | None = None,
    ) -> None:
        from lgnas.errors import ConfigError  # lazy: Hydra imports every plugin at start-up

        options = OmegaConf.to_container(strategy) if isinstance(strategy, DictConfig) else strategy
        if not isinstance(options, dict) or "name" not in options:
            raise ConfigError(
                f"hydra.sweeper.strategy must be a mapping with a 'name' (e.g. genetic), "
                f"got {strategy!r}"
            )
        if direction not in ("minimize", "maximize"):
            raise ConfigError(
                f"hydra.sweeper.direction must be minimize or maximize, got {direction!r}"
            )
        if trials < 1 or batch_size < 1:
            raise ConfigError(
                f"hydra.sweeper.trials and batch_size must be >= 1, got {trials} and {batch_size}"
            )
        self.options = dict(options)
        self.trials = trials
        self.batch_size = batch_size
        self.sign = 1.0 if direction == "maximize" else -1.0  # strategies maximise
        self.seed = seed
        self.params = dict(params or {})
        self.hydra_context: HydraContext | None = None
        self.config: DictConfig | None = None
        self.launcher: Any = None

    def setup(
        self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig
    ) -> None:
        from hydra.core.plugins import Plugins

        self.hydra_context = hydra_context
        self.config = config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )

    def sweep(self, arguments: list[str]) -> list[list[JobReturn]]:
        """Run the whole search; every generation's job returns, in launch order."""
        from hydra_plugins.lgnas_sweeper.space import job_overrides, sweep_space

        from lgnas.strategies import make_strategy
        from lgnas.trials import TrialResult

        assert self.config is not None and self.hydra_context is not None
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        requested = [f"{key}={value}" for key, value in self.params.items()] + list(arguments)
        space, fixed = sweep_space(parser.parse_overrides(requested))
        options = dict(self.options)
        strategy = make_strategy(options.pop("name"), space, seed=self.seed, **options)
        batch_size = self.batch_size if type(strategy).supports_batch else 1
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")

        generations: list[list[JobReturn]] = []
        best: tuple[float, dict[str, Any]] | None = None
        launched = 0
        while launched < self.trials:
            candidates = strategy.ask(min(batch_size, self.trials - launched))
            batch = [fixed + job_overrides(c.point) for c in candidates]
            self.validate_batch_is_legal(batch)
            returns = list(self.launcher.launch(batch, initial_job_idx=launched))
            for candidate, job in zip(candidates, returns):
                value, error = _job_value(job)
                if error is not None:
                    log.warning(f"job {job.overrides} failed: {error}")
                    strategy.tell(candidate, TrialResult.failure(error))
                    continue
                strategy.tell(candidate, TrialResult(self.sign * value))
                if best is None or self.sign * value > self.sign * best[0]:
                    best = (value, dict(candidate.point))
            launched += len(candidates)
            generations.append(returns)
        self._save(sweep_dir, strategy, best, launched)
        return generations

    def _save(self, sweep_dir: Path, strategy: Any, best: Any, launched: int) -> None:
        results = {
            "name": "lgnas",
            "strategy": self.options,
            "trials": launched,
            # Dimensions are named as overridden ("+x" adds x); the results name config keys.
            "best_params": {k.lstrip("+"): v for k, v in best[1].items()} if best else None,
            "best_value": best[0] if best else None,
        }
        OmegaConf.save(OmegaConf.create(results), sweep_dir / "optimization_results.yaml")
        log.info(f"best value {results['best_value']} with {results['best_params']}")


def _job_value(job: JobReturn) -> tuple[float, None] | tuple[None, str]:
    """The job's return value as a finite number, or why there is none."""
    try:
        value = job.return_value  # raises the job's exception if it failed
    except Exception as err:  # noqa: BLE001 - any app error is one failed trial
        return None, f"{type(err).__name__}: {err}"
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        return None, f"returned {value!r}, not a finite number to optimise"
    return float(value), None
