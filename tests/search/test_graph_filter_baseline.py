"""GF-CF as a search baseline: computed once, tested once, reported next to trained models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from lgnas.data.datamodule import RecDataModule
from lgnas.errors import ConfigError
from lgnas.metrics import RankingMetrics
from lgnas.models.module import rank_batch
from lgnas.recommend import Recommender
from lgnas.search.run import search

ONE_TRIAL = (
    "+strategy=random",
    "dataset=synthetic",
    "search_space=tiny",
    "search.trials=1",
    "search.fidelity=1",
    "search.prior=null",
    "trainer.max_epochs=20",
    "eval.patience=2",
)
"""A search of one short trial on synthetic data: what these tests retrain comes after."""


def _served_validation(run: Path, name: str) -> dict[str, float]:
    """Validation metrics of what ``lgnas.recommend`` serves as ``final/<name>``, ranked as
    every model's evaluation ranks (training items masked)."""
    served = Recommender.from_run(run, model=name)
    metrics = RankingMetrics(["recall", "ndcg", "precision", "hit", "mrr"], [10, 20], "val/")
    with torch.no_grad():
        for batch in RecDataModule(served.split).val_dataloader():
            rank_batch(served.scores(batch[0]).clone(), batch, metrics)
    return {key: float(value) for key, value in metrics.compute().items()}


def test_gfcf_baseline_is_computed_tested_and_reported(search_job, tmp_path) -> None:
    job = search_job(*ONE_TRIAL, "search.baselines=[gfcf]")
    run = search(job, tmp_path, show_progress=False)
    gfcf = run.finals["gfcf"]
    assert "error" not in gfcf, gfcf.get("error")
    assert gfcf["kind"] == "baseline" and gfcf["stop_reason"] == "closed_form"
    assert gfcf["epochs"] == 0 and gfcf["parameters"] == 0
    # The default grid's ranks above the data's min(users, items) = 500 were left out.
    saved = json.loads((tmp_path / "final" / "gfcf" / "metrics.json").read_text())
    assert saved["test"] == gfcf["test"] and 0 < gfcf["test"]["test/ndcg@20"] < 1
    assert "rank: 512" not in (tmp_path / "final" / "gfcf" / "architecture.yaml").read_text()
    report = (tmp_path / "report.md").read_text()
    assert "| gfcf | baseline |" in report and "closed form" in report
    assert "  gfcf     " in "\n".join(run.verdict) and "0 epochs, best -, closed form" in report
    # A finished computation: it neither withholds the comparison nor reads as unknown.
    assert "stop reasons unknown" not in report and "Not a valid comparison" not in report
    # lgnas.recommend serves the saved filter (its singular vectors, no SVD again) as it
    # was evaluated.
    assert _served_validation(tmp_path, "gfcf") == pytest.approx(gfcf["valid"], abs=1e-6)
    # Resumed, the search reuses the filter it computed (chosen from grids it was asked for).
    model = tmp_path / "final" / "gfcf" / "model.pt"
    model.write_bytes(b"kept")
    again = search(job, tmp_path, show_progress=False)
    assert again.finals["gfcf"] == gfcf and model.read_bytes() == b"kept"


def test_the_answer_blended_with_a_filter_is_chosen_on_validation(search_job, tmp_path) -> None:
    job = search_job(
        *ONE_TRIAL, "search.baselines=[]", "search.propagated_layers=0", "search.blend=gfcf"
    )
    run = search(job, tmp_path, show_progress=False)
    found, blended = run.finals["found-1"], run.finals["found-1-blended"]
    assert "error" not in blended, blended.get("error")
    # The blend reports what its GNN trained, from the retrain it reuses (not trained again).
    assert blended["kind"] == "found" and blended["epochs"] == found["epochs"] > 0
    assert blended["parameters"] == found["parameters"]
    assert blended["train_seconds"] >= found["train_seconds"]
    # Its weight grid includes 0 (found-1 alone): it cannot score below found-1 on validation.
    key = "val/ndcg@20"
    assert blended["valid"][key] >= found["valid"][key] - 1e-6
    answer = next(iter(run.finals))
    assert answer == max(("found-1", "found-1-blended"), key=lambda n: run.finals[n]["valid"][key])
    saved = yaml.safe_load((tmp_path / "best_architecture.yaml").read_text())
    assert (saved["arch"].get("family") == "blend") == (answer == "found-1-blended")
    chosen = yaml.safe_load(
        (tmp_path / "final" / "found-1-blended" / "architecture.yaml").read_text()
    )
    assert isinstance(chosen["arch"]["weight"], float)
    report = (tmp_path / "report.md").read_text()
    assert ("blend: (1 - w) x these scores" in report) == (answer == "found-1-blended")
    found_line = next(line for line in run.verdict if line.startswith("Found: "))
    assert ("blended with a graph filter" in found_line) == (answer == "found-1-blended")
    # lgnas.recommend serves the blend as it was evaluated (by default when it is the answer).
    assert _served_validation(tmp_path, "found-1-blended") == pytest.approx(blended["valid"])
    assert Recommender.from_run(tmp_path).name.startswith(f"{answer} of ")
    # Resumed, the search reuses the blend it computed.
    model = tmp_path / "final" / "found-1-blended" / "model.pt"
    model.write_bytes(b"kept")
    again = search(job, tmp_path, show_progress=False)
    assert again.finals["found-1-blended"] == blended and model.read_bytes() == b"kept"


def test_a_refit_blend_is_chosen_as_before_and_tested_refitted(search_job, tmp_path) -> None:
    common = (*ONE_TRIAL, "search.baselines=[]", "search.propagated_layers=0", "search.blend=gfcf")
    plain = search(search_job(*common), tmp_path / "plain", show_progress=False).finals
    run = search(search_job(*common, "search.blend_refit=true"), tmp_path, show_progress=False)
    blended = run.finals["found-1-blended"]
    assert blended["valid"] == plain["found-1-blended"]["valid"]
    assert blended["test"] != plain["found-1-blended"]["test"]
    chosen = yaml.safe_load(
        (tmp_path / "final" / "found-1-blended" / "architecture.yaml").read_text()
    )
    assert chosen["arch"]["refit"] is True and chosen["arch"]["filter"]["refit"] is True
    found_line = next(line for line in run.verdict if line.startswith("Found: "))
    refitted = "both refitted on train + validation for the test" in found_line
    assert refitted == (next(iter(run.finals)) == "found-1-blended")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["search.blend=ease"], "search.blend='ease': name a graph filter"),
        (["task=ctr", "dataset=ml100k_ctr", "search.blend=bspm"], "with task=ctr set search.blend"),
    ],
)
def test_a_blend_the_search_cannot_make_is_refused(search_job, overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        search_job("+strategy=random", *overrides)
