"""Dataset configs with item_features: the shipped ml-100k cold-start config end to end."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.data.catalog import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import Architecture
from lgnas.models.recommender import GNNRecommender


@pytest.mark.parametrize("temporal", [False, True])
def test_cold_config_gives_content_and_no_cold_item_in_training(
    temporal: bool, ml100k_embeddings, cold_train_config, data_dir, monkeypatch
) -> None:
    monkeypatch.setenv("LGNAS_DATA_DIR", str(data_dir))
    split = prepare_dataset(cold_train_config(f"dataset.split.temporal={temporal}")["dataset"], 0)
    content = split.item_content
    np.testing.assert_array_equal(content.text, ml100k_embeddings[0])  # served from the cache
    assert content.meta.shape == (1682, 19 + 8)  # 19 genres, 8 release decades
    cold = split.cold_items
    assert len(cold) == round(0.2 * 1682)
    assert not np.isin(split.train.item, cold).any()
    assert np.isin(cold, np.concatenate([split.valid.item, split.test.item])).all()
    # A pure-content model still represents every cold item.
    graph = BipartiteGraph(split.train.user, split.train.item, 943, 1682)
    model = GNNRecommender(
        Architecture(num_layers=0, item_content="both", fusion="none"), graph, content
    )
    items = model()[1]
    assert items[cold].abs().sum(1).min() > 0


def test_unknown_item_feature_keys_are_refused(cold_train_config, data_dir, monkeypatch) -> None:
    monkeypatch.setenv("LGNAS_DATA_DIR", str(data_dir))
    cfg = dict(cold_train_config()["dataset"])
    cfg["item_features"] = {"text": {"template": "{movie_title}", "model": "x"}}
    with pytest.raises(ConfigError, match=r"item_features.text: unknown key\(s\) \['model'\]"):
        prepare_dataset(cfg, seed=0)
    cfg["item_features"] = {"text": {"template": "{plot}"}}
    with pytest.raises(ConfigError, match=r"names column\(s\) \['plot'\].*'movie_title'"):
        prepare_dataset(cfg, seed=0)


def test_a_text_model_trained_by_fit_ranks_cold_items_above_random(
    cold_train_config, ml100k_embeddings, data_dir, monkeypatch
) -> None:
    from lgnas.coldstart import evaluate_groups, item_groups, model_scorer, random_scores
    from lgnas.models.optim import Optim
    from lgnas.search.evaluator import quiet_lightning
    from lgnas.training import TrainSettings, fit

    monkeypatch.setenv("LGNAS_DATA_DIR", str(data_dir))
    quiet_lightning()
    cfg = cold_train_config(
        "trainer.max_epochs=2",
        "eval.metrics=[recall,ndcg]",
        "eval.ks=[20]",
        "eval.warmup=50",
    )
    split = prepare_dataset(cfg["dataset"], seed=0)
    arch = Architecture(num_layers=0, item_content="text", fusion="none")
    optim = Optim(loss="bpr", lr=1e-3, weight_decay=0.0, reg=1e-4, batch_size=2048)
    settings = TrainSettings.from_config(
        seed=cfg["seed"], threads=cfg["threads"], eval=cfg["eval"], trainer=cfg["trainer"]
    )
    result = fit(arch, optim, split, settings, test=False)
    assert result.num_parameters == 943 * 64 + 384 * 64 + 64  # user table + linear adapter
    groups = {"cold_all": item_groups(split)["cold_all"]}
    model = evaluate_groups(model_scorer(result.module.model), split, groups)
    chance = evaluate_groups(random_scores(split.train.num_items), split, groups)
    assert model["cold_all"]["recall@20"] > 2 * chance["cold_all"]["recall@20"]
