"""The settings of a whole search (``python -m lgnas``), typed and checked once at the door."""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lgnas.errors import ConfigError
from lgnas.models.architecture import MAX_LAYERS
from lgnas.models.families import FILTER_PRESETS
from lgnas.models.optim import Optim
from lgnas.search.executor import ExecutorSettings, executor_settings
from lgnas.search.loop import Budget
from lgnas.search.prior import AUTO, PriorPoints, load_prior, prior_journal
from lgnas.search.scheduler import SCHEDULERS, FidelityScheduler
from lgnas.settings import check_choice, check_number, from_mapping
from lgnas.space import SearchSpace
from lgnas.training.settings import TrainSettings
from lgnas.trials import Objective, parse_objectives

IDENTITY = {"identity": True}
"""Field metadata of the settings that decide which trials run and what they score: they
make up the search's identity in its journal, so a resume with other values is refused."""

RETRAIN_OPTIONS = frozenset({"finetune"})
"""Strategy options that change only the final retrains, not which trials run."""
PRIOR_OPTIONS = frozenset({"graft"})
"""Strategy options that act only on ``search.prior``'s points: inert without a prior or
when off, as in journals written before they existed."""


RESUME_MAY_CHANGE = ("trainer.max_epochs",)
"""Journal identity keys a resumed search may change when ``search.fidelity`` is set (trials
train that many epochs, so only the final retrains read the epoch cap): raised, it continues
the retrains that stopped at it (:data:`lgnas.search.retrain.PROGRESS`)."""


@dataclass(frozen=True)
class SearchSettings:
    """The ``search`` config group (conf/config.yaml documents each key).

    Budgets (``trials``, ``seconds``), the retrain (``final_seconds``, ``top_k``,
    ``propagated_layers``, ``baselines``, ``blend``, ``blend_refit``, ``ensemble``,
    ``ensemble_baselines``) and ``batch_size`` do not change which trials run, so a search
    may be resumed with other values; the fields marked :data:`IDENTITY` may not. ``prior``
    (earlier searches whose best points are asked first, see :mod:`lgnas.search.prior`)
    enters the identity through the points it gives (:meth:`SearchJob.identity`), not its
    paths.
    """

    trials: int | None = 16
    seconds: float | None = None
    batch_size: int = 1
    fidelity: int | None = field(default=15, metadata=IDENTITY)
    scheduler: str = "none"
    min_fidelity: int = 2
    eta: int = 3
    warm_start: bool = True
    proxy_users: int | None = None
    proxy_epochs: int = 3
    proxy_kcore: int = 5
    trial_seconds: float | None = field(default=None, metadata=IDENTITY)
    final_seconds: float | None = None
    objective: str = field(default="ndcg@20", metadata=IDENTITY)
    objectives: tuple[str, ...] | None = None
    top_k: int = 1
    propagated_layers: int = 2
    baselines: tuple[str, ...] = ("mf", "lightgcn", "ngcf")
    blend: str | None = "bspm"
    blend_refit: bool = False
    ensemble: bool = False
    ensemble_baselines: bool = False
    prior: tuple[str, ...] | None = (AUTO,)
    prior_top: int = 3

    def __post_init__(self) -> None:
        check_number("search.trials", self.trials, minimum=0, integer=True, nullable=True)
        check_number("search.seconds", self.seconds, minimum=0, nullable=True)
        check_number("search.batch_size", self.batch_size, minimum=1, integer=True)
        check_number("search.fidelity", self.fidelity, minimum=1, integer=True, nullable=True)
        check_number("search.top_k", self.top_k, minimum=0, integer=True)
        check_number("search.propagated_layers", self.propagated_layers, minimum=0, integer=True)
        if self.propagated_layers > MAX_LAYERS:
            raise ConfigError(
                f"search.propagated_layers={self.propagated_layers}: a model has at most "
                f"{MAX_LAYERS} layers; choose 0 (off) to {MAX_LAYERS}"
            )
        for key in ("trial_seconds", "final_seconds"):
            check_number(f"search.{key}", getattr(self, key), minimum=0, nullable=True)
        if self.trials is None and self.seconds is None:
            raise ConfigError("search.trials and search.seconds are both null: set a budget")
        check_choice("search.scheduler", self.scheduler, SCHEDULERS)
        check_number("search.proxy_users", self.proxy_users, minimum=1, integer=True, nullable=True)
        check_number("search.proxy_epochs", self.proxy_epochs, minimum=1, integer=True)
        check_number("search.proxy_kcore", self.proxy_kcore, minimum=0, integer=True)
        if self.proxy_users is not None and self.scheduler == "none":
            raise ConfigError(
                f"search.proxy_users={self.proxy_users}: the proxy screens candidates in the "
                "brackets of a multi-fidelity scheduler; set search.scheduler=sha (or "
                "hyperband), or search.proxy_users=null"
            )
        if not isinstance(self.objective, str):
            raise ConfigError(f"search.objective={self.objective!r} must be a metric name")
        if self.objectives is not None:
            object.__setattr__(self, "objectives", tuple(self.objectives))
        object.__setattr__(self, "baselines", tuple(self.baselines or ()))
        if self.blend is not None and self.blend not in FILTER_PRESETS:
            raise ConfigError(
                f"search.blend={self.blend!r}: name a graph filter to blend the answer with, "
                f"one of {sorted(FILTER_PRESETS)}, or null for none"
            )
        if not isinstance(self.blend_refit, bool):
            raise ConfigError(f"search.blend_refit={self.blend_refit!r} must be true or false")
        for key in ("ensemble", "ensemble_baselines"):
            if not isinstance(getattr(self, key), bool):
                raise ConfigError(f"search.{key}={getattr(self, key)!r} must be true or false")
        check_number("search.prior_top", self.prior_top, minimum=1, integer=True)
        if self.prior is not None:
            single = isinstance(self.prior, str | os.PathLike)
            prior = tuple(
                str(spec) if isinstance(spec, os.PathLike) else spec
                for spec in ((self.prior,) if single else self.prior)
            )
            if not all(isinstance(spec, str) and spec for spec in prior):
                raise ConfigError(
                    f"search.prior={self.prior!r} must be a run directory, a journal file or "
                    "shipped:<name>, or a list of them (null: no prior)"
                )
            object.__setattr__(self, "prior", prior or None)  # []: no prior, like null
            if AUTO in prior and len(prior) > 1:
                raise ConfigError(f"search.prior={list(prior)}: use auto alone, or list priors")
            for spec in prior:
                if spec != AUTO:
                    prior_journal(spec)  # refuses a missing path, naming search.prior and it
        self.objective_list  # noqa: B018 - parses search.objectives; its errors name the key
        self.fidelity_scheduler  # noqa: B018 - likewise for the scheduler's keys

    @property
    def objective_list(self) -> tuple[Objective, ...]:
        """``objectives`` parsed, or ``objective`` alone when it is null."""
        if self.objectives is None:
            return (Objective(self.objective),)
        return parse_objectives(list(self.objectives), quality=self.objective)

    @property
    def fidelity_scheduler(self) -> FidelityScheduler | None:
        """The multi-fidelity scheduler asked for; ``None`` for ``scheduler=none``.

        Raises:
            ConfigError: A fidelity setting is missing, not a whole number or out of range.
        """
        if self.scheduler == "none":
            return None
        if self.fidelity is None:
            raise ConfigError(
                f"search.scheduler={self.scheduler} needs search.fidelity (the full epochs); "
                "it is null"
            )
        return FidelityScheduler(
            kind=self.scheduler,
            min_fidelity=self.min_fidelity,
            max_fidelity=self.fidelity,
            eta=self.eta,
            warm_start=self.warm_start,
            proxy_epochs=self.proxy_epochs if self.proxy_users is not None else None,
        )

    @property
    def budget(self) -> Budget:
        """When the search stops."""
        return Budget(trials=self.trials, seconds=self.seconds)

    def identity(self) -> dict[str, Any]:
        """The :data:`IDENTITY` fields, plus the scheduler (with its proxy) and several
        objectives when used.

        They are left out when unused, so journals of searches from before they existed
        still resume.
        """
        identity = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.metadata}
        objectives = self.objective_list
        if len(objectives) > 1:
            identity["objectives"] = [o.spec for o in objectives]
        scheduler = self.fidelity_scheduler
        if scheduler is not None:
            identity["scheduler"] = {
                "kind": scheduler.kind,
                "min_fidelity": scheduler.min_fidelity,
                "eta": scheduler.eta,
                "warm_start": scheduler.warm_start,
            }
            if self.proxy_users is not None:
                identity["scheduler"]["proxy"] = {
                    "users": self.proxy_users,
                    "kcore": self.proxy_kcore,
                    "epochs": self.proxy_epochs,
                }
        return identity


@dataclass(frozen=True)
class StrategyChoice:
    """The ``strategy`` config group: a registered strategy's name and constructor options."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, group: Mapping[str, Any] | None) -> StrategyChoice:
        """From the plain ``strategy`` group (``name`` plus the strategy's parameters).

        Raises:
            ConfigError: No strategy was chosen.
        """
        if not group or not group.get("name"):
            raise ConfigError(
                "no search strategy chosen; add +strategy=<name> (e.g. +strategy=genetic)"
            )
        options = dict(group)
        return cls(str(options.pop("name")), options)


@dataclass(frozen=True)
class SearchJob:
    """Everything ``python -m lgnas`` needs, from one composed config.

    Attributes:
        strategy: Which strategy proposes candidates.
        space: The search space's plain mapping (``search_space`` group).
        dataset: The dataset's plain mapping (``dataset`` group; checked when it is loaded).
        optim: The training recipe every candidate starts from.
        train: Seed, threads, evaluation and Trainer settings of every fit.
        search: Budgets, fidelity, objectives, retrains.
        executor: Where trials run.
        config: The whole plain config, saved in the run directory for ``lgnas.recommend``.
    """

    strategy: StrategyChoice
    space: Mapping[str, Any]
    dataset: Mapping[str, Any]
    optim: Optim
    train: TrainSettings
    search: SearchSettings
    executor: ExecutorSettings
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.search_space  # noqa: B018 - a bad space is refused before any data is loaded
        self.prior  # noqa: B018 - likewise an incompatible prior
        logged = self.train.eval.logged
        if self.search.objective not in logged:
            raise ConfigError(
                f"search.objective={self.search.objective!r} is not among the evaluated metrics "
                f"{list(logged)}; change it or eval.metrics / eval.ks"
            )
        if self.search.blend is not None and self.train.task != "ranking":
            raise ConfigError(
                f"search.blend={self.search.blend}: a graph filter ranks items; with "
                f"task={self.train.task} set search.blend=null"
            )
        if self.search.ensemble and self.train.task != "ctr":
            raise ConfigError(
                f"search.ensemble=true averages click probabilities (task=ctr); with "
                f"task={self.train.task} set search.ensemble=false (search.blend combines "
                "ranking models)"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SearchJob:
        """From the plain, resolved config ``python -m lgnas`` composed (conf/config.yaml)."""
        config = dict(config)
        return cls(
            strategy=StrategyChoice.from_config(config.get("strategy")),
            space=config["search_space"],
            dataset=config["dataset"],
            optim=Optim.from_dict(config.get("optim")),
            train=TrainSettings.from_config(
                seed=config.get("seed"),
                threads=config.get("threads"),
                eval=config.get("eval"),
                trainer=config.get("trainer"),
                task=config.get("task"),
            ),
            search=from_mapping(SearchSettings, config.get("search"), "search"),
            executor=executor_settings(config.get("executor")),
            config=config,
        )

    @property
    def search_space(self) -> SearchSpace:
        """The space :attr:`space` declares."""
        return SearchSpace.from_dict(dict(self.space))

    @functools.cached_property
    def prior(self) -> PriorPoints | None:
        """The best points of ``search.prior``'s earlier searches, valid in this space, to ask
        first; ``None`` without a prior."""
        if self.search.prior is None:
            return None
        prior = load_prior(
            self.search.prior, self.search_space, self.search.objective, self.search.prior_top
        )
        return prior if prior.points or self.search.prior != (AUTO,) else None

    @property
    def trial_settings(self) -> TrainSettings:
        """The settings each trial trains with: an executor that reserves CPUs per trial
        decides its thread count."""
        threads = self.executor.threads_per_trial
        return self.train if threads is None else self.train.replace(threads=threads)

    def identity(self) -> dict[str, Any]:
        """What must match for a search to resume from a journal (see :class:`Journal`).

        Where trials run (the executor) is not part of it: a search begun serially may be
        resumed on Ray and the other way round. With ``search.prior`` the points it gives
        are (``prior``), so resuming with another prior is refused; without one the identity
        is what it was before priors existed. Settings no trial depends on are left out, so
        journals written before they existed resume: where a dataset is downloaded from
        (``dataset.fetch``) and what only the final retrains use (the staged search's
        ``finetune``); so are the genetic search's ``graft`` where it is inert (no prior) or
        off.
        """
        prior = {} if self.prior is None else {"prior": list(self.prior.points)}
        options = {
            k: v
            for k, v in self.strategy.options.items()
            if k not in RETRAIN_OPTIONS
            and not (k in PRIOR_OPTIONS and (self.prior is None or v is False))
        }
        return {
            "strategy": {"name": self.strategy.name, **options},
            "search_space": dict(self.space),
            "dataset": {k: v for k, v in self.dataset.items() if k != "fetch"},
            "optim": self.optim.to_dict(),
            **self.train.identity(),
            **self.search.identity(),
            **prior,
        }
