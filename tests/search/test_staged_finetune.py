"""Stage 3 of the staged search: the found model's retrain continues its trial's weights."""

from __future__ import annotations

import json

import torch

from lgnas.search.retrain import START_WEIGHTS
from lgnas.search.run import search

STAGED = (
    "+strategy=staged",
    "dataset=synthetic",
    "search_space=cells",
    "search.trials=4",
    "search.fidelity=2",
    "search.baselines=[]",
    "search.prior=null",
    "trainer.max_epochs=3",
    "eval.warmup=0",
    "threads=1",
)


def test_the_found_model_is_fine_tuned_from_its_trial(search_job, tmp_path) -> None:
    run = search(search_job(*STAGED), tmp_path, show_progress=False)
    folder = tmp_path / "final" / "found-1"
    start = torch.load(folder / START_WEIGHTS, weights_only=True)
    saved = json.loads((folder / "metrics.json").read_text())
    model = torch.load(folder / "model.pt", weights_only=False)["state_dict"]
    # Every tensor of the model came from the trial: the same architecture, all copied.
    assert saved["inherited"] == len(model) == len(start)
    assert not (tmp_path / "checkpoints").exists()  # the trials' own weights are gone
    found = run.finals["found-1"]
    assert found["fine_tuned"] and "fine-tuned from its trial's weights" in "\n".join(run.verdict)
    # The retrain's first validation is the trial model's after one more epoch, not a fresh
    # model's: it starts from the trial's validation score (within an epoch's change).
    best_trial = max(r.objective for _, r in run.outcome.trials if r.ok)
    assert found["valid"]["val/ndcg@20"] >= best_trial - 0.05


def test_without_finetune_the_found_model_trains_from_scratch(search_job, tmp_path) -> None:
    run = search(search_job(*STAGED, "strategy.finetune=false"), tmp_path, show_progress=False)
    folder = tmp_path / "final" / "found-1"
    assert not (folder / START_WEIGHTS).exists()
    assert "inherited" not in json.loads((folder / "metrics.json").read_text())
    assert not run.finals["found-1"]["fine_tuned"]
