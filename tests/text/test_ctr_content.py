"""Item content in the click-through task: ``dataset=ml100k_ctr_text search_space=ctr_text``."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.data import prepare_dataset
from lgnas.search.evaluator import TrialEvaluator
from lgnas.space import load_space

CTR_TEXT = ("+strategy=random", "task=ctr", "dataset=ml100k_ctr_text", "search_space=ctr_text")


@pytest.fixture
def ctr_text_job(search_job, text_cache):
    def job(*overrides: str):
        cache = (f"dataset.item_features.text.cache_dir={text_cache}",)
        return search_job(*CTR_TEXT, *cache, *overrides)

    return job


def test_the_space_adds_content_to_the_ctr_space_and_the_data_to_ml100k_ctr(
    ctr_text_job, search_job, ml100k_embeddings
) -> None:
    job = ctr_text_job()
    plain = search_job("+strategy=random", "task=ctr", "dataset=ml100k_ctr")
    dimensions = job.space["dimensions"]
    assert job.space["name"] == "ctr_text"
    assert {k: v for k, v in dimensions.items() if k in plain.space["dimensions"]} == dict(
        plain.space["dimensions"]
    )
    assert dimensions["item_content"]["choices"] == ["none", "meta", "text", "both"]
    assert load_space("ctr_text").names == tuple(dimensions)  # read without Hydra, the same
    split = prepare_dataset(job.dataset, seed=0)
    same = prepare_dataset(plain.dataset, seed=0)
    for part in ("train", "valid", "test"):  # the same impressions and labels as ml100k_ctr
        mine, theirs = getattr(split, part), getattr(same, part)
        np.testing.assert_array_equal(mine.user, theirs.user)
        np.testing.assert_array_equal(split.clicked(mine), same.clicked(theirs))
    np.testing.assert_array_equal(split.item_content.text, ml100k_embeddings[0])
    assert split.item_content.meta.shape == (1682, 19 + 8)


def test_a_trial_fuses_item_text_through_its_adapter(ctr_text_job) -> None:
    job = ctr_text_job()
    split = prepare_dataset(job.dataset, seed=0)
    evaluate = TrialEvaluator(job.optim, job.trial_settings, split, "auc")
    base = {"num_layers": 1, "op": ["lightgcn"], "combine": "mean", "dim": 16, "score": "dot"}
    plain = evaluate(base, fidelity=1)
    fused = evaluate({**base, "item_content": "text", "fusion": "add", "adapter": "linear"}, 1)
    assert plain.ok and fused.ok, (plain.error, fused.error)
    assert fused.cost["parameters"] - plain.cost["parameters"] == 384 * 16 + 16  # the adapter
    assert fused.metrics["val/auc"] != plain.metrics["val/auc"]
    assert fused.metrics["val/auc"] > 0.6
