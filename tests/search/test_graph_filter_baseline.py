"""GF-CF as a search baseline: computed once, tested once, reported next to trained models."""

from __future__ import annotations

import json

import pytest

from lgnas.recommend import Recommender, RunError
from lgnas.search.run import search


def test_gfcf_baseline_is_computed_tested_and_reported(search_job, tmp_path) -> None:
    job = search_job(
        "+strategy=random",
        "dataset=synthetic",
        "search_space=tiny",
        "search.trials=1",
        "search.fidelity=1",
        "search.baselines=[gfcf]",
        "search.prior=null",
        "trainer.max_epochs=20",
        "eval.patience=2",
    )
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
    # lgnas.recommend serves trained models; it says so instead of failing to load one.
    with pytest.raises(RunError, match="final/gfcf is a training-free graph filter"):
        Recommender.from_run(tmp_path, model="gfcf")
    # Resumed, the search reuses the filter it computed (chosen from grids it was asked for).
    model = tmp_path / "final" / "gfcf" / "model.pt"
    model.write_bytes(b"kept")
    again = search(job, tmp_path, show_progress=False)
    assert again.finals["gfcf"] == gfcf and model.read_bytes() == b"kept"
