"""A found matrix factorisation is retrained on LightGCN layers too, and the search's answer
is the retrained found model that validates best, in every output that names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lgnas.models.architecture import Architecture
from lgnas.recommend import Recommender
from lgnas.search.run import search
from lgnas.training import read_recipe, read_summary

TINY = (
    "+strategy=random",
    "dataset=synthetic",
    "search_space=tiny",
    "search.trials=1",
    "search.fidelity=2",
    "trainer.max_epochs=8",
    "search.blend=null",  # the finalists themselves (blends: test_graph_filter_baseline.py)
)


@pytest.fixture
def mf_prior(tmp_path) -> Path:
    """A prior whose one point, a matrix factorisation, is the one-trial search's found-1."""
    header = {
        "type": "header",
        "objective": "ndcg@20",
        "search_space": {
            "dimensions": dict.fromkeys(["num_layers", "op", "combine", "norm", "dim", "lr"], {})
        },
    }
    point = {"num_layers": 0, "dim": 32, "lr": 0.005}
    trial = {
        "type": "trial",
        "id": 0,
        "status": "ok",
        "objective": 0.3,
        "fidelity": 2,
        "point": point,
    }
    path = tmp_path / "prior.jsonl"
    path.write_text(json.dumps(header) + "\n" + json.dumps(trial) + "\n")
    return path


def test_the_answer_is_the_found_model_best_on_validation(search_job, mf_prior, tmp_path) -> None:
    job = search_job(*TINY, f"search.prior={mf_prior}", "search.baselines=[mf]")
    run = search(job, tmp_path / "run", show_progress=False)
    tmp_path = tmp_path / "run"
    found = {n: f for n, f in run.finals.items() if f["kind"] == "found"}
    assert set(found) == {"found-1", "found-1-propagated"}
    mf = Architecture.from_dict(read_recipe(tmp_path / "final/found-1/architecture.yaml")[0])
    graph = read_recipe(tmp_path / "final/found-1-propagated/architecture.yaml")
    assert mf.num_layers == 0
    assert graph[0]["num_layers"] == 2 and graph[0]["op"] == ["lightgcn", "lightgcn"]
    assert graph[0]["dim"] == mf.dim
    assert graph[1] == read_recipe(tmp_path / "final/found-1/architecture.yaml")[1]

    scores = {n: f["valid"]["val/ndcg@20"] for n, f in found.items()}
    answer = next(iter(found))
    assert scores[answer] == max(scores.values())
    # best_architecture.yaml, the verdict, the report and lgnas.recommend name the answer.
    answer_recipe = read_recipe(tmp_path / "final" / answer / "architecture.yaml")
    assert read_recipe(tmp_path / "best_architecture.yaml") == answer_recipe
    assert any(line.startswith(f"  {answer} ") for line in run.verdict)
    report = (tmp_path / "report.md").read_text()
    assert f"The answer is {answer}, of the retrained found models" in report
    assert Recommender.from_run(tmp_path).name.startswith(f"{answer} of ")
    assert read_summary(tmp_path / "final" / answer)["valid"]["val/ndcg@20"] == scores[answer]


def test_off_or_for_a_graph_model_nothing_more_is_retrained(search_job, mf_prior, tmp_path) -> None:
    off = search_job(
        *TINY, f"search.prior={mf_prior}", "search.propagated_layers=0", "search.baselines=[]"
    )
    run = search(off, tmp_path / "off", show_progress=False)
    assert list(run.finals) == ["found-1"]
    graphs = search_job(
        *TINY,
        "search_space.dimensions.num_layers.low=1",  # every candidate propagates already
        "search.prior=null",
        "search.baselines=[]",
    )
    run = search(graphs, tmp_path / "graphs", show_progress=False)
    assert list(run.finals) == ["found-1"]
    saved = yaml.safe_load((tmp_path / "graphs" / "best_architecture.yaml").read_text())
    assert saved["arch"]["num_layers"] >= 1
