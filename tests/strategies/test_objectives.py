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


def test_logloss_is_minimised_wherever_it_is_named() -> None:
    from lgnas.metrics import CLICK_METRICS, LIST_METRICS, METRICS
    from lgnas.trials import MINIMISED_METRICS, is_minimised, metric_better, metric_utility

    # The direction table agrees with every metric class's own declaration.
    every = {**METRICS, **LIST_METRICS, **CLICK_METRICS}
    assert {name for name, cls in every.items() if not cls.higher_is_better} == MINIMISED_METRICS
    assert is_minimised("logloss") and is_minimised("val/logloss")
    assert not is_minimised("ndcg@20") and not is_minimised("test/auc")
    assert metric_utility("logloss", 0.4) == -0.4
    assert metric_utility("auc", 0.7) == 0.7
    assert metric_better("val/logloss", 0.3, 0.4) and not metric_better("auc", 0.3, 0.4)


def test_a_minimised_metric_is_the_quality_objective_with_its_minus() -> None:
    (logloss, parameters) = parse_objectives(["-logloss", "-parameters"], quality="logloss")
    assert (logloss.cost_key, logloss.spec, parameters.spec) == (None, "-logloss", "-parameters")
    # A trial's objective is the utility: the negated logloss; value gives the logloss back.
    result = TrialResult(-0.45, cost={"parameters": 100})
    assert logloss.value(result) == pytest.approx(0.45)
    assert utilities((logloss, parameters), result) == pytest.approx((-0.45, -2.0))
    with pytest.raises(ConfigError, match="'logloss' is minimised: write '-logloss'"):
        parse_objectives(["logloss", "-parameters"])


def test_auc_and_f1_are_search_objectives_when_evaluated(search_job) -> None:
    chosen = search_job(
        "+strategy=random", "eval.metrics=[ndcg,f1,auc]", "search.objective=auc",
        "search.objectives=[auc,-parameters]",
    )  # fmt: skip
    assert chosen.train.eval.logged == ("ndcg@10", "ndcg@20", "f1@10", "f1@20", "auc")
    assert _specs(chosen) == ["auc", "-parameters"]
    assert search_job("+strategy=random", "eval.metrics=[f1]", "eval.monitor=f1@20",
                      "search.objective=f1@10").search.objective == "f1@10"  # fmt: skip
    with pytest.raises(ConfigError, match=r"search.objective='auc' is not among.*eval.metrics"):
        search_job("+strategy=random", "search.objective=auc")
    with pytest.raises(ConfigError, match=r"eval.metrics=\['map'\]: choose from .*'f1', 'auc'"):
        search_job("+strategy=random", "eval.metrics=[map]")
