"""The Pareto set over the costs of ``search.objectives``: parameters, latency, train time."""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.image import imread

from lgnas.report.analysis import pareto_section, write_search_analysis
from lgnas.report.pareto import pareto_front, within_budget
from lgnas.report.trials import TrialRecord, read_trials
from lgnas.trials import parse_objectives

QUALITY, PARAMETERS, LATENCY = parse_objectives(["ndcg@20", "-parameters", "-latency"])


def _trial(id: int, objective: float, parameters: int, latency: float) -> TrialRecord:
    cost = {"parameters": parameters, "latency_ms_per_1k_users": latency}
    return TrialRecord(id, {"x": id}, objective, parameters, 1.0, 1.0, None, cost)


TRIALS = [
    _trial(0, 0.30, 1000, 40.0),
    _trial(1, 0.20, 100, 30.0),
    _trial(2, 0.296, 2000, 15.0),  # bigger than trial 0 but faster: on the 3-cost front
    _trial(3, 0.25, 1500, 50.0),  # beaten by trial 0 on everything
]


def test_a_model_dominated_in_size_stays_on_the_front_when_it_is_faster() -> None:
    assert [t.id for t in pareto_front(TRIALS, (QUALITY, PARAMETERS))] == [1, 0]
    assert [t.id for t in pareto_front(TRIALS, (QUALITY, PARAMETERS, LATENCY))] == [1, 0, 2]
    front = pareto_front(TRIALS, (QUALITY, PARAMETERS, LATENCY))
    assert within_budget(front, cost=PARAMETERS) == []  # trial 2 is twice as big
    assert [t.id for t in within_budget(front, cost=LATENCY)] == [2]  # 0.296 ≥ 0.98·0.30, 38%


def test_the_report_answers_for_each_cost() -> None:
    front = pareto_front(TRIALS, (QUALITY, PARAMETERS, LATENCY))
    lines = pareto_section(front, "ndcg@20", [PARAMETERS, LATENCY])
    text = "\n".join(lines)
    assert "| trial | ndcg@20 | trainable parameters | latency (ms per 1,000 users) |" in text
    assert "| 2 | 0.2960 | 2000 | 15 |" in text
    assert "- trainable parameters: no trial is within 2%" in text
    assert "- latency (ms per 1,000 users): trial 2 is within 2% of the best ndcg@20 " in text
    assert "with 38% of its latency" in text


def test_analysis_takes_the_costs_from_the_journal_header(synthetic_run: Path) -> None:
    single = synthetic_run / "pareto.png"
    write_search_analysis(synthetic_run, "ndcg@20")
    single_width = imread(single).shape[1]
    journal = synthetic_run / "journal.jsonl"
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    records[0]["objectives"] = ["ndcg@20", "-parameters", "-latency"]
    for r in records[1:]:
        r["cost"]["latency_ms_per_1k_users"] = 5.0 + r["id"] % 7
    journal.write_text("".join(json.dumps(r) + "\n" for r in records))
    write_search_analysis(synthetic_run, "ndcg@20")
    report = (synthetic_run / "report.md").read_text()
    assert "## Pareto set: validation objective vs trainable parameters, latency" in report
    assert imread(single).shape[1] > 1.5 * single_width  # one panel per cost
    assert read_trials(journal)[0].cost["latency_ms_per_1k_users"] == 5.0
