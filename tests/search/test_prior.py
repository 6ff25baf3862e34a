"""Transfer from earlier searches (``search.prior``): their best points are the first trials.

The priors are the journals of real tiny searches (synthetic data, the ``tiny`` space, one
epoch per trial), run once per module.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.search import evaluator as evaluator_module
from lgnas.search import prior as prior_module
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, run_search
from lgnas.search.prior import PRIORS_DIR, auto_priors, load_prior
from lgnas.search.run import run_trials
from lgnas.search.scheduler import FidelityScheduler
from lgnas.search.settings import SearchJob, SearchSettings
from lgnas.space import SearchSpace, load_space
from lgnas.strategies.registry import make_strategy
from lgnas.strategies.scalarised import ScalarisedStrategy
from lgnas.trials import TrialResult

TINY = (
    "dataset=synthetic",
    "search_space=tiny",
    "search.fidelity=1",
    "search.trial_seconds=null",
    "search.baselines=[]",
    "threads=1",
)


@pytest.fixture(scope="module")
def split(search_job) -> Any:
    job = search_job("+strategy=random", *TINY)
    return prepare_dataset(job.dataset, seed=0)


@pytest.fixture(scope="module")
def priors(search_job, split, tmp_path_factory) -> dict[str, Path]:
    """Run directories of two earlier random searches (seeds 0 and 1, five trials each)."""
    runs = {}
    for seed in (0, 1):
        job = search_job("+strategy=random", *TINY, "search.trials=5", f"seed={seed}")
        runs[f"seed{seed}"] = tmp_path_factory.mktemp(f"prior{seed}")
        run_trials(job, split, runs[f"seed{seed}"])
    return runs


def trials(journal: Path) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    return [r for r in records if r["type"] == "trial"]


def ranked(run: Path, metric: str | None = None) -> list[dict[str, Any]]:
    """A prior's distinct successful points, best first (what the loader should find)."""
    ok = [r for r in trials(run / "journal.jsonl") if r["status"] == "ok"]
    ok.sort(key=lambda r: -(r["metrics"][metric] if metric else r["objective"]))
    points = {}
    for record in ok:
        points.setdefault(record["key"], record["point"])
    return list(points.values())


def with_prior(job: SearchJob, *specs: Any, top: int = 2) -> SearchJob:
    search = dataclasses.replace(job.search, prior=specs, prior_top=top)
    return dataclasses.replace(job, search=search)


# -- loading -------------------------------------------------------------------------------------


def test_a_priors_best_points_best_first(priors) -> None:
    tiny = load_space("tiny")
    loaded = load_prior([str(priors["seed0"])], tiny, "ndcg@20", top=3)
    assert list(loaded.points) == ranked(priors["seed0"])[:3]
    assert loaded.dropped == 0
    assert loaded.sources == (priors["seed0"] / "journal.jsonl",)
    # The journal file itself names the same prior.
    again = load_prior([str(priors["seed0"] / "journal.jsonl")], tiny, "ndcg@20", top=3)
    assert again.points == loaded.points


def test_ranked_by_this_searchs_objective_where_the_prior_recorded_it(priors) -> None:
    loaded = load_prior([str(priors["seed0"])], load_space("tiny"), "recall@10", top=5)
    assert list(loaded.points) == ranked(priors["seed0"], "val/recall@10")


def test_several_priors_interleave_by_rank_without_repeats(priors) -> None:
    tiny = load_space("tiny")
    a, b = ranked(priors["seed0"])[:2], ranked(priors["seed1"])[:2]
    expected = []
    for point in (a[0], b[0], a[1], b[1]):
        if point not in expected:
            expected.append(point)
    both = load_prior([str(priors["seed0"]), str(priors["seed1"])], tiny, "ndcg@20", top=2)
    assert list(both.points) == expected
    twice = load_prior([str(priors["seed0"])] * 2, tiny, "ndcg@20", top=2)
    assert list(twice.points) == a


def test_a_prior_of_another_space_is_refused_in_one_line(priors) -> None:
    family = load_space("lightgcn_family")
    with pytest.raises(ConfigError) as refused:
        load_prior([str(priors["seed0"])], family, "ndcg@20", top=2)
    message = str(refused.value)
    extra = sorted(set(family.names) - set(load_space("tiny").names))
    assert "\n" not in message
    assert f"search.prior={priors['seed0']}: its space differs in dimensions {extra}" in message
    assert f"(missing here: [], extra here: {extra})" in message


def test_points_invalid_here_are_dropped_and_counted(priors, caplog) -> None:
    best = ranked(priors["seed0"])
    mapping = {
        "name": "tiny_narrow",
        "dimensions": {
            "num_layers": {"type": "int", "low": 0, "high": 3},
            "op": {"type": "categorical", "choices": ["lightgcn", "gcn", "ngcf"],
                   "when": {"num_layers": [1, 2, 3]}},
            "combine": {"type": "categorical", "choices": ["last", "mean", "concat"],
                        "when": {"num_layers": [1, 2, 3]}},
            "norm": {"type": "categorical", "choices": ["symmetric", "left"],
                     "when": {"num_layers": [1, 2, 3]}},
            "dim": {"type": "categorical", "choices": [best[0]["dim"]]},  # one of two
            "lr": {"type": "categorical", "choices": [1.0e-3, 5.0e-3]},
        },
    }  # fmt: skip
    space = SearchSpace.from_dict(mapping)
    assert set(space.names) == set(load_space("tiny").names)  # compatible, only narrower
    with caplog.at_level(logging.WARNING, logger="lgnas.search.prior"):
        loaded = load_prior([str(priors["seed0"])], space, "ndcg@20", top=10)
    kept = [p for p in best if p["dim"] == best[0]["dim"]]
    assert list(loaded.points) == kept
    assert loaded.dropped == len(best) - len(kept) > 0  # the seeded 5 use both dims
    assert f"{loaded.dropped} of the priors' better points are not valid" in caplog.text
    # Fewer taken: only the invalid points ranked above the last one taken are counted.
    first = load_prior([str(priors["seed0"])], space, "ndcg@20", top=1)
    assert list(first.points) == kept[:1] and first.dropped == 0


def test_the_highest_fidelity_of_a_multi_fidelity_prior_ranks(tmp_path) -> None:
    tiny = load_space("tiny")
    identity = {"search_space": {"name": "tiny", "dimensions": {n: {} for n in tiny.names}},
                "objective": "ndcg@20"}  # fmt: skip
    journal = Journal(tmp_path / "journal.jsonl", identity)

    def evaluate(point: dict, fidelity: int | None = None) -> TrialResult:
        # Low rungs favour one layer, the top rung more layers.
        value = point["num_layers"] * (1 if fidelity == 6 else -1) + 0.01 * point["dim"]
        return TrialResult(objective=value, fidelity=fidelity)

    scheduler = FidelityScheduler("sha", min_fidelity=2, max_fidelity=6, eta=3)
    strategy = make_strategy("random", tiny, seed=0)
    outcome = run_search(strategy, tiny, evaluate, journal, Budget(trials=4), scheduler=scheduler)
    top = sorted((r for r in trials(tmp_path / "journal.jsonl") if r["fidelity"] == 6),
                 key=lambda r: -r["objective"])  # fmt: skip
    assert top and len(top) < len(outcome.trials)
    loaded = load_prior([str(tmp_path)], tiny, "ndcg@20", top=10)
    assert list(loaded.points) == [r["point"] for r in top]


def test_a_torn_last_line_is_skipped_and_the_prior_left_alone(priors, tmp_path) -> None:
    journal = tmp_path / "journal.jsonl"
    text = (priors["seed0"] / "journal.jsonl").read_text() + '{"type": "tri'
    journal.write_text(text)
    loaded = load_prior([str(journal)], load_space("tiny"), "ndcg@20", top=2)
    assert list(loaded.points) == ranked(priors["seed0"])[:2]
    assert journal.read_text() == text
    not_a_journal = tmp_path / "notes.jsonl"
    not_a_journal.write_text('{"hello": 1}\n')
    with pytest.raises(ConfigError, match="is not an lgnas search journal"):
        load_prior([str(not_a_journal)], load_space("tiny"), "ndcg@20", top=2)


def test_shipped_priors_by_name(priors, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(prior_module, "PRIORS_DIR", tmp_path)
    shutil.copy(priors["seed0"] / "journal.jsonl", tmp_path / "tiny_random.jsonl")
    assert prior_module.shipped_priors() == ["tiny_random"]
    loaded = load_prior(["shipped:tiny_random"], load_space("tiny"), "ndcg@20", top=2)
    assert list(loaded.points) == ranked(priors["seed0"])[:2]
    with pytest.raises(ConfigError, match=r"ships no prior named 'nope'; .*\['tiny_random'\]"):
        SearchSettings(prior="shipped:nope")


def test_the_shipped_priors_folder_holds_journals_only() -> None:
    folder = prior_module.PRIORS_DIR
    assert folder.is_dir() and (folder / "__init__.py").is_file()
    assert {p.suffix for p in folder.iterdir() if p.is_file()} <= {".py", ".jsonl"}


# -- settings ------------------------------------------------------------------------------------


def test_settings_take_one_path_or_several_and_refuse_missing_ones(priors, tmp_path) -> None:
    assert SearchSettings().prior == ("auto",) and SearchSettings().prior_top == 3
    with pytest.raises(ConfigError, match="use auto alone"):
        SearchSettings(prior=["auto", str(priors["seed0"])])
    one = SearchSettings(prior=str(priors["seed0"]))
    assert one.prior == (str(priors["seed0"]),) == SearchSettings(prior=priors["seed0"]).prior
    assert SearchSettings(prior=[str(priors["seed0"]), str(priors["seed1"])]).prior == (
        str(priors["seed0"]),
        str(priors["seed1"]),
    )
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match=f"search.prior={missing}: no such file or directory"):
        SearchSettings(prior=str(missing))
    with pytest.raises(ConfigError, match=f"search.prior={tmp_path}: the directory holds no "):
        SearchSettings(prior=str(tmp_path))
    with pytest.raises(ConfigError, match="search.prior_top=0 must be an integer >= 1"):
        SearchSettings(prior_top=0)
    assert SearchSettings(prior=[]).prior is None  # like null
    with pytest.raises(ConfigError, match="search.prior=\\[3\\] must be a run directory"):
        SearchSettings(prior=[3])


def test_an_incompatible_prior_is_refused_before_any_data_is_loaded(search_job, priors) -> None:
    job = search_job("+strategy=random", *TINY, "search_space=lightgcn_family")
    with pytest.raises(ConfigError, match="its space differs in dimensions"):
        with_prior(job, str(priors["seed0"]))


def test_the_identity_holds_the_prior_points_only_with_a_prior(search_job, priors) -> None:
    job = search_job("+strategy=random", *TINY)
    assert "prior" not in job.identity() and job.prior is None
    seeded = with_prior(job, str(priors["seed0"]))
    assert seeded.identity() == {**job.identity(), "prior": ranked(priors["seed0"])[:2]}


# -- the search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["random", "genetic"])
def test_the_priors_best_points_are_the_first_trials(
    search_job, split, priors, tmp_path, strategy
) -> None:
    job = search_job(f"+strategy={strategy}", *TINY, "search.trials=3", "seed=7")
    job = with_prior(job, str(priors["seed0"]), top=2)
    outcome, _ = run_trials(job, split, tmp_path)
    records = trials(tmp_path / "journal.jsonl")
    assert [r["id"] for r in records] == [0, 1, 2]  # this search's trials, none of the prior's
    header = json.loads((tmp_path / "journal.jsonl").read_text().splitlines()[0])
    assert header["prior"] == ranked(priors["seed0"])[:2]
    assert [r["point"] for r in records[:2]] == ranked(priors["seed0"])[:2]
    assert all(r["wall_seconds"] > 0 and r["cost"]["epochs"] == 1 for r in records)  # trained
    assert records[2]["point"] not in ranked(priors["seed0"])[:2]
    assert [c.point for c, _ in outcome.trials] == [r["point"] for r in records]


def test_a_resume_replays_the_same_prior_and_refuses_another(
    search_job, split, priors, tmp_path, monkeypatch
) -> None:
    job = with_prior(search_job("+strategy=pso", *TINY, "search.trials=3"), str(priors["seed0"]))
    first, _ = run_trials(job, split, tmp_path)

    def no_training(*args, **kwargs):
        raise AssertionError("a journaled trial was trained again")

    monkeypatch.setattr(evaluator_module, "fit", no_training)
    again, _ = run_trials(job, split, tmp_path)
    assert again.trials == first.trials
    other = with_prior(job, str(priors["seed1"]))
    with pytest.raises(ConfigError, match=r"differs in \['prior'\]"):
        run_trials(other, split, tmp_path)
    without = dataclasses.replace(job, search=dataclasses.replace(job.search, prior=None))
    with pytest.raises(ConfigError, match=r"differs in \['prior'\]"):
        run_trials(without, split, tmp_path)


def test_with_a_scheduler_the_points_open_the_first_bracket(tmp_path) -> None:
    tiny = load_space("tiny")
    points = [tiny.sample(np.random.default_rng(s)) for s in (1, 2)]
    strategy = make_strategy("genetic", tiny, seed=0)
    points = strategy.enqueue(points)
    scheduler = FidelityScheduler("sha", min_fidelity=2, max_fidelity=6, eta=3)

    def evaluate(point: dict, fidelity: int | None = None) -> TrialResult:
        return TrialResult(objective=point["dim"] * 0.001, fidelity=fidelity)

    journal = Journal(tmp_path / "journal.jsonl", {"seed": 0})
    outcome = run_search(strategy, tiny, evaluate, journal, Budget(trials=2), scheduler=scheduler)
    assert [c.point for c, _ in outcome.trials[: len(points)]] == points
    assert {c.id for c, r in outcome.trials if r.fidelity == 2} == set(range(3))


# -- strategies ----------------------------------------------------------------------------------


def test_queued_points_count_toward_the_first_genetic_population() -> None:
    tiny = load_space("tiny")
    strategy = make_strategy("genetic", tiny, seed=0, population_size=4)
    random_draws = []
    sample = strategy._sample_unseen
    strategy._sample_unseen = lambda: random_draws.append(1) or sample()
    rng = np.random.default_rng(3)
    queued = strategy.enqueue([tiny.sample(rng) for _ in range(2)])
    first = strategy.ask(4)
    assert [c.point for c in first[:2]] == queued and len(random_draws) == 2
    for candidate in first:
        strategy.tell(candidate, TrialResult(objective=float(candidate.point["dim"])))
    assert [m[0] for m in strategy._population][:2] == queued
    strategy.ask(1)  # a child of the population: no random draw
    assert len(random_draws) == 2


def test_the_queue_survives_a_state_round_trip_and_old_states_load() -> None:
    tiny = load_space("tiny")
    rng = np.random.default_rng(4)
    original = make_strategy("genetic", tiny, seed=0)
    original.enqueue([tiny.sample(rng) for _ in range(3)])
    (asked,) = original.ask(1)
    state = json.loads(json.dumps(original.state_dict()))
    assert state["queued"] == list(original.queued) and len(state["queued"]) == 2
    restored = make_strategy("genetic", tiny, seed=99)
    restored.load_state_dict(state)
    assert restored.queued == original.queued
    assert [c.point for c in restored.ask(2)] == [c.point for c in original.ask(2)]
    old = copy.deepcopy(state)
    del old["queued"]  # as saved before the queue existed, or with nothing queued
    before = make_strategy("genetic", tiny, seed=0)
    before.load_state_dict(old)
    assert before.queued == () and before.pending == (asked,)
    assert "queued" not in before.state_dict()


def test_a_scalarised_strategy_asks_and_teaches_its_inner_the_queued_points() -> None:
    tiny = load_space("tiny")
    rng = np.random.default_rng(5)
    strategy = ScalarisedStrategy(make_strategy("rl", tiny, seed=0), ["ndcg@20", "-parameters"])
    queued = strategy.enqueue([tiny.sample(rng) for _ in range(2)])
    asked = strategy.ask(3)
    assert [c.point for c in asked[:2]] == queued
    assert [c.point for c in strategy.inner.pending] == [c.point for c in asked]
    for candidate in asked:
        strategy.tell(candidate, TrialResult(0.1, cost={"parameters": 1000}))
    assert strategy.inner.pending == ()


def test_auto_takes_the_shipped_priors_of_the_space_and_none_for_other_spaces(
    search_job, caplog
) -> None:
    default = search_job("+strategy=random")  # the default space, whose priors lgnas ships
    assert default.search.prior == ("auto",) and default.prior is not None
    assert {path.parent for path in default.prior.sources} == {PRIORS_DIR}
    assert len(default.prior.sources) == len(auto_priors(default.search_space)) >= 2
    assert 0 < len(default.prior.points) <= 3 * len(default.prior.sources)
    assert default.identity()["prior"] == list(default.prior.points)
    with caplog.at_level("INFO", logger="lgnas.search.prior"):
        tiny = search_job("+strategy=random", "search_space=tiny")  # no shipped prior of it
    assert tiny.prior is None and "prior" not in tiny.identity()
    assert "no shipped prior searched this space" in caplog.text


def test_the_report_names_the_priors_the_first_candidates_came_from(search_job) -> None:
    from lgnas.search.run import prior_note

    (note,) = prior_note(search_job("+strategy=random"))
    assert "amazon_book_small" in note and "gowalla_small" in note and "(search.prior)" in note
    assert prior_note(search_job("+strategy=random", "search.prior=null")) == []
