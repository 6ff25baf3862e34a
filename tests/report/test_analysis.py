"""Importance, Pareto set and figures from a journal whose answer is known (see conftest)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.report.analysis import write_search_analysis
from lgnas.report.importance import design_features, design_importance, variance_share
from lgnas.report.pareto import pareto_front, within_budget
from lgnas.report.trials import TrialRecord, comparable, read_trials


def _trial(id: int, objective: float | None, parameters: int, fidelity: int | None = None):
    cost = {"parameters": parameters}
    return TrialRecord(id, {"x": id}, objective, parameters, 1.0, 1.0, fidelity, cost)


def test_the_dimension_that_drives_the_objective_ranks_first_with_a_tight_interval(
    tmp_path: Path, make_journal, op_effect: dict[str, float]
) -> None:
    trials = read_trials(make_journal(tmp_path / "journal.jsonl"))
    ranked = design_importance(trials)
    first, rest = ranked[0], ranked[1:]
    assert first.name == "op"
    assert first.low > 0.9 and first.share > 0.95
    assert [m.level for m in first.levels] == sorted(op_effect, key=op_effect.get, reverse=True)
    best = first.levels[0]
    assert best.low <= op_effect["lightgcn"] <= best.high
    assert {d.name for d in rest} == {"dim", "lr", "act[1]", "act[2]"}
    for d in rest:  # nothing beyond chance: small shares whose interval reaches down near 0
        assert d.share < 0.2 and d.low < 0.05 and d.share < first.low


def test_importance_is_seeded() -> None:
    trials = [TrialRecord(i, {"a": i % 3}, float(i % 3 + i % 2), 1, 1.0, 1.0, None)
              for i in range(12)]  # fmt: skip
    assert design_importance(trials, seed=1) == design_importance(trials, seed=1)


def test_variance_share_is_one_for_a_perfect_split_and_zero_for_none() -> None:
    y = np.array([1.0, 1.0, 3.0, 3.0])
    assert variance_share(y, np.array([0, 0, 1, 1]), 2) == pytest.approx(1.0)
    assert variance_share(y, np.array([0, 1, 0, 1]), 2) == pytest.approx(0.0)


def test_features_split_layers_mark_inactive_dimensions_and_bin_numbers() -> None:
    points = [{"op": ["a", "b"][: 1 + i % 2], "lr": 0.001 * (i + 1)} for i in range(8)]
    points[0]["heads"] = 2
    features = design_features(points)
    assert set(features) == {"op[1]", "lr", "op[2]", "heads"}
    assert features["op[2]"][:2] == ["—", "b"] and features["heads"][:2] == ["2", "—"]
    assert len(set(features["lr"])) == 4  # eight values, cut into quartiles


def test_too_few_or_constant_trials_give_no_importance() -> None:
    assert design_importance([_trial(i, 0.1 * i, 1) for i in range(3)]) == []
    assert design_importance([_trial(i, 0.5, 1) for i in range(6)]) == []


def test_pareto_front_keeps_only_undominated_trials_smallest_first() -> None:
    trials = [
        _trial(0, 0.30, 1000), _trial(1, 0.20, 100), _trial(2, 0.25, 500),
        _trial(3, 0.24, 800),  # dominated by trial 2
        _trial(4, 0.20, 100),  # a repeat of trial 1
        _trial(5, None, 10),  # failed
        _trial(6, 0.297, 400),
    ]  # fmt: skip
    front = pareto_front(trials)
    assert [t.id for t in front] == [1, 6, 0]
    assert [t.id for t in within_budget(front)] == [6]  # 0.297 ≥ 0.98·0.30 at 40% size
    assert within_budget(front, tolerance=0.005) == []


def test_repeated_points_count_once() -> None:
    trials = [_trial(0, 0.1, 1), _trial(1, 0.2, 1), _trial(2, 0.3, 1)]
    again = TrialRecord(3, {"x": 1}, 0.2, 1, 0.0, 0.0, None)  # trial 1's point, proposed again
    assert [t.id for t in comparable([*trials, again])] == [0, 1, 2]


def test_only_the_highest_fidelity_is_compared() -> None:
    trials = [_trial(0, 0.1, 1, fidelity=2), _trial(1, 0.2, 1, fidelity=8), _trial(2, None, 1)]
    assert [t.id for t in comparable(trials)] == [1]
    assert [t.id for t in comparable([*trials, _trial(3, 0.3, 1, fidelity=None)])] == [3]


def test_analysis_writes_tables_figures_and_report_sections(synthetic_run: Path) -> None:
    written = write_search_analysis(synthetic_run, "ndcg@20")
    names = {p.name for p in written}
    assert names == {"importance.csv", "marginals.csv", "progress.png", "importance.png",
                     "pareto.png"}  # fmt: skip
    for png in synthetic_run.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    rows = list(csv.DictReader((synthetic_run / "importance.csv").open()))
    assert rows[0]["dimension"] == "op" and rows[0]["best_level"] == "lightgcn"
    assert float(rows[0]["ci_low"]) <= float(rows[0]["share"]) <= float(rows[0]["ci_high"])
    marginals = list(csv.DictReader((synthetic_run / "marginals.csv").open()))
    assert sum(int(r["trials"]) for r in marginals if r["dimension"] == "op") == 59
    report = (synthetic_run / "report.md").read_text()
    assert report.startswith("# a search\n")  # appended, not replaced
    assert "| 1 | op | 0.98" in report and "over 59 trials" in report
    assert "## Pareto set" in report and "- `pareto.png`" in report


def test_a_missing_journal_is_named(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=f"no journal at {tmp_path / 'journal.jsonl'}"):
        read_trials(tmp_path / "journal.jsonl")


def test_a_torn_last_line_is_skipped_and_the_file_left_alone(tmp_path: Path, make_journal) -> None:
    path = make_journal(tmp_path / "journal.jsonl", trials=5)
    text = path.read_text() + '{"type": "trial", "id": 5, "po'
    path.write_text(text)
    assert [t.id for t in read_trials(path)] == [0, 1, 2, 3, 4]
    assert path.read_text() == text


def test_a_damaged_journal_is_refused_naming_the_salvage(tmp_path: Path, make_journal) -> None:
    path = make_journal(tmp_path / "journal.jsonl", trials=5)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + lines[-1].rstrip("\n"))  # only the newline cut
    assert [t.id for t in read_trials(path)] == [0, 1, 2, 3, 4]
    path.write_text("".join([*lines[:3], lines[3].rstrip("\n"), *lines[4:]]))
    with pytest.raises(ConfigError, match="line 4: .*`python -m lgnas.search.journal salvage"):
        read_trials(path)


def test_a_minimised_objective_is_shown_as_its_own_values(
    synthetic_run: Path, op_effect: dict[str, float]
) -> None:
    """A LogLoss search journals utilities (the LogLoss negated); the tables, CSVs and the
    Pareto lines show the LogLoss itself, best (lowest) level first."""
    journal = synthetic_run / "journal.jsonl"
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    for record in lines[1:]:
        if record["objective"] is not None:  # LogLoss = the ranking effect; utility = -LogLoss
            record["objective"] = -record["objective"]
    journal.write_text("".join(json.dumps(r) + "\n" for r in lines))
    write_search_analysis(synthetic_run, "logloss")
    with (synthetic_run / "marginals.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["dimension"] == "op"]
    assert [r["level"] for r in rows] == sorted(op_effect, key=op_effect.get)  # lowest first
    for row in rows:
        low, mean, high = (float(row[k]) for k in ("ci_low", "mean", "ci_high"))
        assert 0 < low < mean < high and abs(mean - op_effect[row["level"]]) < 0.01
    report = (synthetic_run / "report.md").read_text()
    assert "| 1 | op |" in report and "ngcf (0.1" in report
    pareto = report.split("## Pareto set", 1)[1]
    rows = [line.split(" | ") for line in pareto.splitlines() if re.match(r"\| \d", line)]
    values = [float(row[1]) for row in rows]
    best = min(op_effect.values())
    assert values and all(v > 0 for v in values)
    assert best - 0.05 < min(values) < best + 0.05
    assert f"best logloss ({min(values):.4f}" in pareto


def test_a_staged_search_gets_importance_per_stage_and_per_layer_search(tmp_path: Path) -> None:
    """Stage 1 varies the macro choices (``dim`` drives the objective), stage 2 one layer's
    cell (``op2`` drives it, ``dim`` fixed): each section ranks its own driver first."""
    rng = np.random.default_rng(0)
    lines = [json.dumps({"type": "header"})]
    dims = {32: 0.1, 64: 0.2, 128: 0.3}
    ops = {"gcn": 0.31, "gin": 0.35, "skip": 0.40}
    for i in range(40):
        if i < 20:  # one-op layers: the cell genes at their first choice
            point = {"dim": int(rng.choice(list(dims))), "combine": str(rng.choice(["a", "b"]))}
            point |= {"op2": "gcn", "input2": 0}
            value, fields = dims[point["dim"]], {"stage": 1, "parent": None}
        else:
            point = {"dim": 128, "combine": "a", "op2": str(rng.choice(list(ops)))}
            point |= {"input2": int(rng.integers(0, 2))}
            value, fields = ops[point["op2"]], {"stage": 2, "parent": 7, "layer": 1}
        lines.append(json.dumps({
            "type": "trial", "id": i, "key": str(i), "point": point, "status": "ok",
            "objective": value + float(rng.normal(0, 0.005)), "fidelity": 2,
            "cost": {"parameters": 1000 + i}, **fields,
        }))  # fmt: skip
    (tmp_path / "journal.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "report.md").write_text("# a staged search\n")
    write_search_analysis(tmp_path, "ndcg@20")
    report = (tmp_path / "report.md").read_text()
    first = report.split("### Design-choice importance: stage 1, macro choices")[1]
    second = report.split("### Design-choice importance: stage 2, layer 1 of trial 7")[1]
    assert "| 1 | dim |" in first.split("###")[0]
    assert "| 1 | op2 |" in second.split("##")[0]
    assert "| dim |" not in second.split("##")[0]  # fixed in the layer's search
