"""Strategies are found through entry points; every lookup failure says what to do."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from lgnas.errors import ConfigError
from lgnas.space import load_space
from lgnas.strategies import available, load_strategy, make_strategy
from lgnas.strategies.random import RandomSearch
from lgnas.strategies.registry import ignored_message, scan
from lgnas.testing import strategy_entry_point

VERSION = re.escape(version("lgnas"))  # as the listing prints it, from the install

BUILT_INS = {"random", "genetic", "pso", "rl", "staged"}


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
        r"are \[(.*, )?'genetic', (.*, )?'pso', 'random', 'rl'",
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


def test_a_built_in_name_stays_lgnas_and_the_plugin_claim_is_reported() -> None:
    eps = [
        entry_point("random", "lgnas.strategies.random:RandomSearch", "lgnas"),
        entry_point("random", "other_pkg.search:Random", "other-pkg"),
    ]
    registry = scan(eps)
    assert registry.strategies["random"].load() is RandomSearch
    (ignored,) = registry.ignored
    assert ignored.distribution == "other-pkg"
    assert re.search(
        r"other-pkg 1.2 \(other_pkg.search:Random\) registers strategy 'random', a name of "
        r"lgnas's own strategies; it is ignored: rename its entry point",
        ignored_message(ignored),
    )


def test_a_name_two_plugins_claim_is_refused_naming_both_and_others_keep_working() -> None:
    eps = [
        entry_point("walk", "pkg_a.search:Walk", "pkg-a"),
        entry_point("walk", "pkg_b.search:Walk", "pkg-b"),
        entry_point("random", "lgnas.strategies.random:RandomSearch", "lgnas"),
    ]
    assert sorted(available(eps)) == ["random", "walk"]
    with pytest.raises(
        ConfigError,
        match=r"'walk' is registered twice: by pkg-a 1.2 \(pkg_a.search:Walk\) and "
        r"by pkg-b 1.2 \(pkg_b.search:Walk\); uninstall one package or rename",
    ):
        load_strategy("walk", eps)
    assert load_strategy("random", eps) is RandomSearch


def test_same_entry_point_listed_twice_is_one_strategy() -> None:
    ep = entry_point("random", "lgnas.strategies.random:RandomSearch", "lgnas")
    assert list(available([ep, ep])) == ["random"]


def test_a_broken_plugin_leaves_the_others_usable() -> None:
    eps = [
        entry_point("broken", "lgnas_no_such_plugin.module:Strategy", "lgnas-broken"),
        entry_point("random", "lgnas.strategies.random:RandomSearch", "lgnas"),
    ]
    assert make_strategy("random", load_space("tiny"), entry_points=eps).ask()


def test_class_missing_abstract_methods_is_refused_naming_them() -> None:
    ep = entry_point("half_done", "lgnas.strategies.bridge:OptimizerBridge", "half-done")
    with pytest.raises(
        ConfigError,
        match=r"strategy 'half_done' from half-done 1.2 \(lgnas.strategies.bridge:"
        r"OptimizerBridge\) does not implement _impose, _propose, _report of",
    ):
        load_strategy("half_done", [ep])


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
    assert re.search(
        rf"^genetic +lgnas {VERSION} \(lgnas.strategies.genetic:GeneticSearch\)$", out, re.M
    )
    assert re.search(r"^ +Tournament selection", out, re.M)


def test_listing_names_each_broken_plugin_and_still_lists_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real (tiny) distribution on sys.path: what ``pip install`` of a broken plugin leaves."""
    from lgnas.strategies.__main__ import main

    dist_info = tmp_path / "lgnas_broken-0.3.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: lgnas-broken\nVersion: 0.3\n")
    (dist_info / "entry_points.txt").write_text(
        "[lgnas.strategies]\n"
        "fails_to_import = lgnas_broken_missing_module:Strategy\n"
        "half_done = lgnas.strategies.bridge:OptimizerBridge\n"
        "random = lgnas.strategies.random:RandomSearch\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main() == 1
    out, err = capsys.readouterr()
    assert re.search(
        r"^fails_to_import +lgnas-broken 0.3 \(lgnas_broken_missing_module:Strategy\)\n +cannot "
        r"be used: .*from lgnas-broken 0.3 .* failed to import: ModuleNotFoundError",
        out,
        re.M,
    )
    assert re.search(r"half_done .*\n +cannot be used: .* does not implement _impose", out)
    assert re.search(rf"^random +lgnas {VERSION} .*\n +Independent draws", out, re.M)
    assert re.search(rf"^genetic +lgnas {VERSION} .*\n +Tournament selection", out, re.M)
    assert (
        "lgnas-broken 0.3 (lgnas.strategies.random:RandomSearch) registers strategy 'random'" in err
    )
    assert make_strategy("genetic", load_space("tiny")).ask()
