"""Optuna's samplers as lgnas strategies: conformance, the space translation, objectives."""

from __future__ import annotations

import optuna
import pytest
from lgnas_optuna.distributions import params, suggest

from lgnas.errors import ConfigError
from lgnas.space import load_space
from lgnas.strategies import available, make_strategy
from lgnas.strategies.scalarised import ScalarisedStrategy, build_strategy
from lgnas.testing import StrategyConformance, run, synthetic_objective
from lgnas.trials import TrialResult, parse_objectives


class TestTPEConformance(StrategyConformance):
    strategy_name = "optuna_tpe"


class TestCmaEsConformance(StrategyConformance):
    strategy_name = "optuna_cmaes"


class TestNSGA2Conformance(StrategyConformance):
    strategy_name = "optuna_nsga2"

    @pytest.fixture
    def make(self):  # type: ignore[override]
        # Generations of 10, so the 50-trial improvement test sees 4 of them evolve.
        return self.factory(self.strategy_name, population_size=10)


def test_every_sampler_is_registered_by_the_plugin() -> None:
    found = available()
    for name in ("optuna_tpe", "optuna_cmaes", "optuna_nsga2"):
        assert found[name].distribution == "lgnas-optuna"


def test_conditional_dimensions_are_conditional_optuna_parameters() -> None:
    space = load_space("default")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        point = suggest(trial, space)
        assert space.validate(point) == point
        assert trial.params == params(space, point)
        layers = point["num_layers"]
        assert ("combine" in trial.params) == (layers > 0)
        assert ("heads" in trial.params) == ("gat" in point.get("op", []))
        assert {f"op[{i}]" for i in range(layers)} <= set(trial.params)
        assert f"op[{layers}]" not in trial.params
    lr = study.trials[0].distributions["lr"]
    assert isinstance(lr, optuna.distributions.FloatDistribution) and lr.log


def test_tpe_study_records_every_result_and_failure() -> None:
    space = load_space("tiny")
    strategy = make_strategy("optuna_tpe", space, seed=0)
    run(strategy, synthetic_objective(space), 9, fails=lambda c: c.id % 3 == 1)
    states = [t.state for t in strategy.study.trials]
    assert states.count(optuna.trial.TrialState.FAIL) >= 3
    assert states.count(optuna.trial.TrialState.COMPLETE) >= 6
    best = strategy.recommend()
    assert strategy.study.best_trial.params == params(space, best.point)


def test_nsga2_keeps_a_pareto_front_of_two_objectives() -> None:
    space = load_space("tiny")
    strategy = make_strategy(
        "optuna_nsga2",
        space,
        seed=0,
        objectives=["objective", "-cost.parameters"],
        population_size=6,
    )
    objective = synthetic_objective(space)
    for _ in range(4):
        for candidate in strategy.ask(6):
            size = candidate.point["dim"] * (1 + candidate.point["num_layers"])
            strategy.tell(
                candidate, TrialResult(objective(candidate.point), cost={"parameters": size})
            )
    front = strategy.study.best_trials
    assert len(strategy.study.directions) == 2 and front
    assert all(t.values[1] <= 0 for t in front)  # sizes are minimised, told negated


def test_a_result_without_a_requested_objective_is_a_failed_optuna_trial() -> None:
    space = load_space("tiny")
    strategy = make_strategy("optuna_nsga2", space, objectives=["objective", "cost.epochs"])
    (candidate,) = strategy.ask()
    strategy.tell(candidate, TrialResult(0.5))
    assert strategy.study.trials[0].state == optuna.trial.TrialState.FAIL


@pytest.mark.parametrize("objectives", [[], ["cost"], ["loss"], "objective"])
def test_bad_objectives_are_refused_by_name(objectives: list[str]) -> None:
    with pytest.raises(ConfigError, match="optuna_nsga2: objective"):
        make_strategy("optuna_nsga2", load_space("tiny"), objectives=objectives)


def test_listing_and_building_import_optuna_only_when_asking() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from lgnas.strategies.__main__ import main\n"
        "from lgnas.space import load_space\n"
        "from lgnas.strategies import make_strategy\n"
        "main()\n"
        "make_strategy('optuna_tpe', load_space('tiny'))\n"
        "assert 'optuna' not in sys.modules, 'optuna imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "optuna_tpe" in done.stdout


def test_hydra_overrides_reach_the_sampler() -> None:
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from lgnas.config import config_dir
    from lgnas.search.settings import StrategyChoice
    from lgnas.strategies.hydra_configs import register_strategy_configs

    register_strategy_configs()
    overrides = [
        "+strategy=optuna_nsga2",
        "strategy.objectives=[objective,-cost.parameters]",
        "strategy.population_size=8",
    ]
    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("config", overrides=overrides)
    choice = StrategyChoice.from_config(OmegaConf.to_container(cfg.strategy, resolve=True))
    strategy = make_strategy(choice.name, load_space("tiny"), **choice.options)
    assert strategy.objectives == ("objective", "-cost.parameters")
    strategy.ask()
    assert strategy.study.sampler._population_size == 8
    assert len(strategy.study.directions) == 2


def test_its_own_objectives_option_survives_a_multi_objective_search() -> None:
    """``optuna_nsga2`` does not declare ``supports_multi_objective``: its ``objectives`` is
    an option of its own, kept, while a search's ``search.objectives`` scalarise it."""
    space, options = load_space("tiny"), {"objectives": ["objective", "-cost.parameters"]}
    alone = build_strategy("optuna_nsga2", space, 0, options, parse_objectives(["ndcg@20"]))
    assert alone.objectives == ("objective", "-cost.parameters")
    two = parse_objectives(["ndcg@20", "-parameters"])
    wrapped = build_strategy("optuna_nsga2", space, 0, options, two)
    assert isinstance(wrapped, ScalarisedStrategy)
    assert wrapped.inner.objectives == ("objective", "-cost.parameters")
