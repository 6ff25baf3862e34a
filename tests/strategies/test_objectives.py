"""``search.objectives``: its syntax, the errors for bad lists, and the derived vector."""

from __future__ import annotations

import math

import pytest

from lgnas.errors import ConfigError
from lgnas.trials import TrialResult, parse_objectives, utilities


def test_a_metric_and_minimised_costs_parse_to_their_result_keys() -> None:
    parsed = parse_objectives(["ndcg@20", "-parameters", "-latency", "-train_seconds"])
    assert [o.spec for o in parsed] == ["ndcg@20", "-parameters", "-latency", "-train_seconds"]
    assert [o.cost_key for o in parsed] == [
        None,
        "parameters",
        "latency_ms_per_1k_users",
        "train_seconds",
    ]


def test_the_vector_is_derived_from_objective_and_cost_costs_on_a_log_scale() -> None:
    objectives = parse_objectives(["ndcg@20", "-parameters", "-latency"])
    result = TrialResult(0.25, cost={"parameters": 1000, "latency_ms_per_1k_users": 10.0})
    assert utilities(objectives, result) == pytest.approx((0.25, -3.0, -1.0))
    assert [o.value(result) for o in objectives] == [0.25, 1000.0, 10.0]
    assert utilities(objectives, TrialResult(0.25, cost={"parameters": 1000})) is None
    assert utilities(objectives, TrialResult.failure("boom")) is None
    nan = TrialResult(0.25, cost={"parameters": math.nan, "latency_ms_per_1k_users": 1.0})
    assert utilities(objectives, nan) is None


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ("ndcg@20", "must be a non-empty list"),
        ([], "must be a non-empty list"),
        (
            ["ndcg@20", "parameters"],
            "'parameters' is a cost, which is minimised: write '-parameters'",
        ),
        (["-ndcg@20", "-parameters"], "a validation metric is maximised, write 'ndcg@20'"),
        (["ndcg@20", "-latncy"], "'-latncy' is not a cost (-parameters, -latency, -train_seconds)"),
        (["ndcg@20", "-parameters", "-parameters"], "names an objective twice"),
        (["-parameters", "-latency"], "must hold exactly one quality metric"),
        (["ndcg@20", "recall@20"], "must hold exactly one quality metric"),
        (["ndcg@20", 3], "3 is not an objective name"),
        (["ndcg@20", "-"], "'-' is not an objective name"),
    ],
)
def test_bad_lists_are_refused_with_what_to_write(specs, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_objectives(specs)


def _specs(job) -> list[str]:
    return [o.spec for o in job.search.objective_list]


def test_search_config_defaults_to_the_single_objective(search_job) -> None:
    assert _specs(search_job("+strategy=random")) == ["ndcg@20"]
    chosen = search_job("+strategy=random", "search.objectives=[ndcg@20,-latency]")
    assert _specs(chosen) == ["ndcg@20", "-latency"]


def test_the_quality_entry_must_be_the_search_objective(search_job) -> None:
    with pytest.raises(ConfigError, match="set search.objective=recall@20"):
        search_job("+strategy=random", "search.objectives=[recall@20,-parameters]")


def test_a_search_refuses_bad_objectives_before_training(search_job) -> None:
    # The settings refuse them at the door, before any search (or journal) exists.
    with pytest.raises(ConfigError, match="'latency' is a cost, which is minimised"):
        search_job("+strategy=random", "search.objectives=[ndcg@20,latency]")
