"""The latency cost of a multi-objective search, measured on a real trained trial."""

from __future__ import annotations

import math

from lgnas.data import prepare_dataset
from lgnas.search.evaluator import TrialEvaluator
from lgnas.trials import parse_objectives, utilities

POINT = {"num_layers": 2, "op": ["lightgcn"] * 2, "combine": "mean", "norm": "symmetric", "dim": 16}


def test_a_tiny_real_trial_records_a_positive_latency_usable_as_an_objective(search_job) -> None:
    job = search_job("+strategy=random", "dataset=synthetic")
    split = prepare_dataset(job.dataset, seed=0)
    result = TrialEvaluator(job.optim, job.train, split, "ndcg@20")(POINT, 1)
    latency = result.cost["latency_ms_per_1k_users"]
    assert result.ok and math.isfinite(latency) and latency > 0
    vector = utilities(parse_objectives(["ndcg@20", "-latency", "-parameters"]), result)
    assert vector == (
        result.objective,
        -math.log10(latency),
        -math.log10(result.cost["parameters"]),
    )
