"""Strategies are found through entry points; every lookup failure says what to do."""

from __future__ import annotations

import pytest

from lgnas.errors import ConfigError
from lgnas.space import load_space
from lgnas.strategies import available, load_strategy, make_strategy
from lgnas.strategies.random import RandomSearch
from lgnas.testing import strategy_entry_point

BUILT_INS = {"random", "genetic", "pso", "rl"}


entry_point = strategy_entry_point


def test_built_ins_are_registered_like_plugins() -> None:
    found = available()
    assert BUILT_INS <= set(found)
    info = found["random"]
    assert (info.value, info.module, info.distribution) == (
        "lgnas.strategies.random:RandomSearch",
        "lgnas.strategies.random",
        "lgnas",
    )
    assert info.summary().startswith("Independent draws")
    assert load_strategy("random") is RandomSearch


def test_listing_imports_nothing() -> None:
    broken = entry_point("broken", "lgnas_no_such_plugin.module:Strategy", "lgnas-broken")
    assert available([broken])["broken"].module == "lgnas_no_such_plugin.module"


def test_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown search strategy 'genetik'; available strategies "
        r"are \['genetic', 'pso', 'random', 'rl'",
    ):
        load_strategy("genetik")


def test_plugin_that_fails_to_import_names_package_and_error() -> None:
    broken = entry_point("broken", "lgnas_no_such_plugin.module:Strategy", "lgnas-broken")
    with pytest.raises(
        ConfigError,
        match=r"strategy 'broken' from lgnas-broken 1.2 "
        r"\(lgnas_no_such_plugin.module:Strategy\) failed to "
        r"import: ModuleNotFoundError: No module named",
    ):
        load_strategy("broken", [broken])


def test_same_name_from_two_packages_is_refused_naming_both() -> None:
    eps = [
        entry_point("random", "lgnas.strategies.random:RandomSearch", "lgnas"),
        entry_point("random", "other_pkg.search:Random", "other-pkg"),
    ]
    with pytest.raises(
        ConfigError,
        match=r"'random' is registered twice: by lgnas 1.2 .* and "
        r"by other-pkg 1.2 \(other_pkg.search:Random\)",
    ):
        available(eps)


def test_same_entry_point_listed_twice_is_one_strategy() -> None:
    ep = entry_point("random", "lgnas.strategies.random:RandomSearch", "lgnas")
    assert list(available([ep, ep])) == ["random"]


def test_non_strategy_class_is_refused() -> None:
    ep = entry_point("dict", "builtins:dict", "fake")
    with pytest.raises(ConfigError, match=r"is <class 'dict'>, not a subclass of .*SearchStrategy"):
        load_strategy("dict", [ep])


def test_make_strategy_checks_parameters_by_name() -> None:
    space = load_space("tiny")
    strategy = make_strategy("genetic", space, seed=3, population_size=4)
    assert strategy.population_size == 4 and strategy.seed == 3
    with pytest.raises(
        ConfigError,
        match=r"strategy 'genetic' has no parameter\(s\) "
        r"\['popsize'\]; its parameters are \['ageing'",
    ):
        make_strategy("genetic", space, popsize=4)
    with pytest.raises(
        ConfigError, match=r"genetic: tournament_size must be in 1..population_size"
    ):
        make_strategy("genetic", space, population_size=4, tournament_size=9)


def test_module_lists_strategies_with_their_origin(capsys: pytest.CaptureFixture[str]) -> None:
    from lgnas.strategies.__main__ import main

    assert main() == 0
    out = capsys.readouterr().out
    assert "genetic    lgnas 0.1.0 (lgnas.strategies.genetic:GeneticSearch)" in out
    assert "Tournament selection" in out
