"""LoRA fine-tuning of the real MiniLM encoder during training (item_features.text.finetune)."""

from __future__ import annotations

import sys

import lightning as L
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from lgnas.data.catalog import prepare_dataset
from lgnas.data.features import ItemContent, build_item_content, frozen_text
from lgnas.errors import ConfigError
from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import Architecture
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender
from lgnas.text import cached_embeddings, load_encoder
from lgnas.text.lora import LoraSettings, TextFinetune

pytest.importorskip("peft", reason='needs pip install "lgnas[text]"')

GENRES = ["Comedy", "Drama", "Action", "Horror", "Romance"]
TEXTS = tuple(f"Film number {i} ({1980 + 3 * i}). Genres: {GENRES[i % 5]}" for i in range(15))
ARCH = Architecture(num_layers=0, dim=16, item_content="text", fusion="none")
MINILM = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def small_embeddings(text_cache) -> np.ndarray:
    return cached_embeddings(list(TEXTS), MINILM, cache_dir=text_cache, progress=False)[0]


def _content(embeddings: np.ndarray, **settings) -> ItemContent:
    lora = LoraSettings(**{"rank": 4, "lr": 1e-2, **settings})
    return ItemContent(text=embeddings, text_finetune=TextFinetune(lora, MINILM, TEXTS))


def _batch(graph: BipartiteGraph) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    users, pos = graph.user[:32], graph.item[:32]
    return users, pos, ((pos + 7) % graph.num_items).unsqueeze(1)


def test_a_step_trains_lora_only_and_leaves_the_encoder_frozen(
    small_graph, small_embeddings
) -> None:
    torch.manual_seed(0)
    model = GNNRecommender(ARCH, small_graph, _content(small_embeddings, items_per_step=None))
    text = model.item_content.text_encoder
    # Before any step the LoRA encoder reproduces the cached frozen embeddings.
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(
            text.encode(torch.arange(15)).numpy(), small_embeddings, atol=1e-5
        )
    rank4 = 6 * 2 * 4 * (384 + 384)  # 6 layers x {query, value} x (A + B)
    assert model.trainable_parameters()["text_lora"] == rank4
    module = RecommenderModule(model, lr=0.05)
    optimiser = module.configure_optimizers()
    assert [g["lr"] for g in optimiser.param_groups] == [0.05, 1e-2]
    assert sum(p.numel() for p in optimiser.param_groups[1]["params"]) == rank4
    before = {n: p.detach().clone() for n, p in text.encoder.named_parameters()}

    model.train()
    batch = _batch(small_graph)
    module.on_train_batch_start(batch, 0)  # as Lightning calls it
    module.training_step(batch, 0).backward()
    optimiser.step()

    changed = {n for n, p in text.encoder.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n for n in changed)
    assert any("lora_B" in n for n in changed)  # B starts at 0: the encoder now differs
    base = [n for n in before if "lora_" not in n]
    assert len(base) > 100 and not any(text.encoder.get_parameter(n).requires_grad for n in base)
    # The shared cached encoder that computes the frozen embeddings got no adapter.
    assert not any("lora_" in n for n, _ in load_encoder(MINILM).named_parameters())
    # Evaluation re-encodes every item with the trained adapter, once.
    model.eval()
    with torch.no_grad():
        items = model()[1]
        fresh = text.encode(torch.arange(15))
    np.testing.assert_allclose(text.bank.numpy(), fresh.numpy(), atol=1e-5)
    assert not np.allclose(fresh.numpy(), small_embeddings, atol=1e-4)
    assert torch.equal(model()[1], items)


def test_text_and_metadata_content_fine_tunes_the_text_columns_only(
    small_graph, small_embeddings
) -> None:
    meta = np.eye(15, 5, dtype=np.float32)
    content = ItemContent(
        text=small_embeddings, meta=meta, text_finetune=_content(small_embeddings).text_finetune
    )
    arch = Architecture(num_layers=1, dim=16, item_content="both", fusion="gate")
    torch.manual_seed(0)
    model = GNNRecommender(arch, small_graph, content)
    module = RecommenderModule(model, lr=0.05)
    optimiser = module.configure_optimizers()
    batch = _batch(small_graph)
    module.on_train_batch_start(batch, 0)
    module.training_step(batch, 0).backward()
    assert all(p.grad is not None for p in model.item_content.text_encoder.lora_parameters())
    optimiser.step()
    encoder = model.item_content
    model.eval()
    with torch.no_grad():
        assert model()[1].shape == (15, 16)
        adapted = encoder.adapter(torch.cat([encoder.text_encoder.bank, torch.tensor(meta)], 1))
    # The metadata columns stay as given; the text columns are the re-encoded ones.
    torch.testing.assert_close(encoder.content[:, 384:], torch.tensor(meta))
    with torch.no_grad():
        fresh = encoder.text_encoder.encode(torch.arange(15))
        torch.testing.assert_close(
            adapted, encoder.adapter(torch.cat([fresh, torch.tensor(meta)], 1)), atol=1e-5, rtol=0
        )


def test_saved_weights_hold_lora_but_not_the_base_encoder(small_graph, small_embeddings) -> None:
    content = _content(small_embeddings)
    torch.manual_seed(0)
    model = GNNRecommender(ARCH, small_graph, content)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_()
    state = model.state_dict()
    assert any("lora_A" in k for k in state) and any("lora_B" in k for k in state)
    assert not [k for k in state if ".text_encoder." in k and "lora_" not in k]
    assert len(state) == 3 + 24  # embedding, adapter weight and bias; 24 LoRA matrices
    model.eval()
    with torch.no_grad():
        expected = model()[1]
    restored = GNNRecommender(ARCH, small_graph, content)
    restored.load_state_dict(state)  # strict: base weights are not "missing"
    restored.eval()
    with torch.no_grad():
        torch.testing.assert_close(restored()[1], expected)
    del state[next(k for k in state if "lora_A" in k)]
    with pytest.raises(RuntimeError, match="lora_A"):
        restored.load_state_dict(state)


def test_lightning_fit_re_encodes_the_batch_items(small_graph, small_embeddings) -> None:
    """Through a real Trainer: the batch hook reaches the encoder and LoRA weights move."""
    torch.manual_seed(0)
    model = GNNRecommender(ARCH, small_graph, _content(small_embeddings, items_per_step=4))
    module = RecommenderModule(model, lr=0.05)
    lora_b = [p for n, p in model.named_parameters() if "lora_B" in n]
    assert all(not p.any() for p in lora_b)
    users, pos, neg = _batch(small_graph)
    loader = DataLoader(TensorDataset(users, pos, neg), batch_size=8)
    trainer = L.Trainer(
        max_steps=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
    )
    trainer.fit(module, train_dataloaders=loader)
    assert any(p.any() for p in lora_b)


def test_off_by_default_builds_the_same_model(ml100k_items, ml100k_embeddings, text_cache):
    base = {"template": None, "encoder": MINILM, "cache_dir": str(text_cache), "progress": False}
    graph = BipartiteGraph(np.array([0, 1]), np.array([0, 1]), 2, ml100k_items.num_items)
    reference = ItemContent(text=ml100k_embeddings[0])
    for text_cfg in (base, {**base, "finetune": None}, {**base, "finetune": {"rank": 0}}):
        content = build_item_content(ml100k_items, {"text": text_cfg})
        assert content.text_finetune is None
        np.testing.assert_array_equal(content.text, reference.text)
        torch.manual_seed(0)
        model = GNNRecommender(ARCH, graph, content)
        torch.manual_seed(0)
        expected = GNNRecommender(ARCH, graph, reference)
        assert model.item_content.text_encoder is None
        assert list(model.state_dict()) == list(expected.state_dict())
        for (name, p), (_, q) in zip(model.named_parameters(), expected.named_parameters()):
            assert torch.equal(p, q), name
        groups = RecommenderModule(model).configure_optimizers().param_groups
        assert len(groups) == 1 and len(groups[0]["params"]) == len(list(model.parameters()))
        assert set(model.trainable_parameters()) == {"embedding", "adapter", "fusion", "layers"}


def test_the_dataset_switch_reaches_text_models_only_and_not_search_trials(
    cold_train_config, ml100k_embeddings, data_dir, monkeypatch
) -> None:
    monkeypatch.setenv("LGNAS_DATA_DIR", str(data_dir))
    cfg = cold_train_config("+dataset.item_features.text.finetune.rank=2")["dataset"]
    split = prepare_dataset(cfg, seed=0)
    finetune = split.item_content.text_finetune
    assert finetune.settings == LoraSettings(rank=2)
    assert len(finetune.texts) == 1682 and finetune.texts[0].startswith("Toy Story")
    np.testing.assert_array_equal(split.item_content.text, ml100k_embeddings[0])
    graph = BipartiteGraph(split.train.user, split.train.item, 943, 1682)
    both = GNNRecommender(
        Architecture(num_layers=0, item_content="both", fusion="add"), graph, split.item_content
    )
    assert both.item_content.text_encoder is not None
    assert both.trainable_parameters()["text_lora"] == 6 * 2 * 2 * (384 + 384)
    meta_only = GNNRecommender(
        Architecture(num_layers=0, item_content="meta"), graph, split.item_content
    )
    assert meta_only.item_content.text_encoder is None
    assert frozen_text(split).item_content.text_finetune is None  # what search trials get
    assert frozen_text(split).item_content.text is split.item_content.text


@pytest.mark.parametrize(
    ("finetune", "message"),
    [
        ({"rank": -1}, r"finetune.rank=-1 must be an integer >= 0"),
        ({"rank": 8.5}, r"finetune.rank=8.5 must be an integer"),
        ({"rank": 8, "alpha": 0}, r"finetune.alpha=0 must be a number > 0"),
        ({"rank": 8, "dropout": 1.0}, r"finetune.dropout=1.0 must be in \[0, 1\)"),
        ({"rank": 8, "target_modules": []}, r"finetune.target_modules=\[\] must be a non-empty"),
        ({"rank": 8, "lr": -1}, r"finetune.lr=-1 must be a number > 0"),
        ({"rank": 8, "items_per_step": 0}, r"finetune.items_per_step=0 must be an integer >= 1"),
        ({"r": 8}, r"finetune: unknown key\(s\) \['r'\]; valid: \['rank'"),
    ],
)
def test_bad_settings_are_refused(finetune, message) -> None:
    with pytest.raises(ConfigError, match=message):
        LoraSettings.from_config(finetune)


def test_unknown_target_modules_are_refused(small_graph, small_embeddings) -> None:
    content = _content(small_embeddings, target_modules=("q_proj",))
    with pytest.raises(ConfigError, match=r"target_modules=\['q_proj'\]"):
        GNNRecommender(ARCH, small_graph, content)


def test_switch_without_text_or_without_peft_is_refused(ml100k_items, text_cache, monkeypatch):
    with pytest.raises(ConfigError, match=r"needs item text; configure item_features.text"):
        build_item_content(
            ml100k_items, {"meta": {"multi_hot": ["class"]}, "finetune": {"rank": 8}}
        )
    monkeypatch.setitem(sys.modules, "peft", None)  # as if not installed
    text = {"cache_dir": str(text_cache), "progress": False, "finetune": {"rank": 8}}
    with pytest.raises(ConfigError, match=r"needs the package 'peft'.*lgnas\[text\]"):
        build_item_content(ml100k_items, {"text": text})
    build_item_content(ml100k_items, {"text": {**text, "finetune": {"rank": 0}}})  # off: fine
