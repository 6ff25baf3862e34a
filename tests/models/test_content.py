"""Item content adapters and fusion: each trains, cold items use content only, counts add up."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from lgnas.data.features import ItemContent
from lgnas.errors import ConfigError
from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import Architecture
from lgnas.models.content import ADAPTERS, FUSIONS
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender


def _content(graph: BipartiteGraph) -> ItemContent:
    rng = np.random.default_rng(0)
    return ItemContent(
        text=rng.normal(size=(graph.num_items, 12)).astype(np.float32),
        meta=(rng.random((graph.num_items, 5)) < 0.3).astype(np.float32),
    )


@pytest.mark.parametrize(("fusion", "adapter"), itertools.product(FUSIONS, ADAPTERS))
def test_every_fusion_and_adapter_trains_a_step(fusion: str, adapter: str, small_graph) -> None:
    arch = Architecture(
        num_layers=1, dim=8, item_content="both", fusion=fusion, adapter=adapter, adapter_rank=2
    )
    torch.manual_seed(0)
    model = GNNRecommender(arch, small_graph, content=_content(small_graph))
    module = RecommenderModule(model, lr=0.05)
    optimiser = module.configure_optimizers()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    users, pos = small_graph.user[:16], small_graph.item[:16]
    neg = ((pos + 1) % small_graph.num_items).unsqueeze(1)
    loss = module.training_step((users, pos, neg), 0)
    loss.backward()
    optimiser.step()
    changed = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    assert any(name.startswith("item_content.adapter") for name in changed)
    if fusion in ("concat", "gate"):
        assert any(name.startswith("item_content.mix") for name in changed)
    # Pure-content items: the ID table holds users only.
    expected_rows = small_graph.num_users + (0 if fusion == "none" else small_graph.num_items)
    assert model.embedding.num_embeddings == expected_rows
    assert model()[1].shape == (small_graph.num_items, 8)


def test_cold_items_are_represented_by_content_alone() -> None:
    graph = BipartiteGraph(np.array([0, 1, 1]), np.array([0, 1, 0]), num_users=2, num_items=4)
    content = ItemContent(text=np.eye(4, dtype=np.float32))
    arch = Architecture(num_layers=0, dim=4, item_content="text", fusion="add")
    model = GNNRecommender(arch, graph, content=content)
    with torch.no_grad():
        model.embedding.weight[graph.num_users :] = 100.0  # would dominate if used
    items = model()[1]
    adapted = model.item_content.adapter(torch.eye(4))
    torch.testing.assert_close(items[2:], adapted[2:])  # items 2, 3: no training edge
    torch.testing.assert_close(items[:2], adapted[:2] + 100.0)


def test_parameter_counts_show_small_adapters(small_graph) -> None:
    content = _content(small_graph)
    counts = {}
    for adapter in ADAPTERS:
        arch = Architecture(
            num_layers=0, dim=8, item_content="text", adapter=adapter, adapter_rank=2
        )
        parts = GNNRecommender(arch, small_graph, content=content).trainable_parameters()
        counts[adapter] = parts["adapter"]
        assert parts["embedding"] == (small_graph.num_users + small_graph.num_items) * 8
    assert counts == {
        "linear": 12 * 8 + 8,
        "mlp": 12 * 8 + 8 + 8 * 8 + 8,
        "lowrank": 12 * 2 + 2 * 8 + 8,
    }
    off = GNNRecommender(Architecture(num_layers=0, dim=8), small_graph).trainable_parameters()
    assert off == {"embedding": (small_graph.num_users + small_graph.num_items) * 8,
                   "adapter": 0, "fusion": 0, "layers": 0}  # fmt: skip


def test_content_off_keeps_the_plain_model(small_graph) -> None:
    torch.manual_seed(0)
    plain = GNNRecommender(Architecture(num_layers=2, dim=8), small_graph)
    torch.manual_seed(0)
    with_data = GNNRecommender(
        Architecture(num_layers=2, dim=8), small_graph, content=_content(small_graph)
    )
    assert set(plain.state_dict()) == set(with_data.state_dict()) == {"embedding.weight"}
    for a, b in zip(plain(), with_data()):
        torch.testing.assert_close(a, b)


def test_missing_content_is_a_clear_error(small_graph) -> None:
    arch = Architecture(num_layers=0, dim=8, item_content="both")
    with pytest.raises(ConfigError, match=r"item_content='both'.*provides \['text'\]"):
        GNNRecommender(arch, small_graph, content=ItemContent(text=np.zeros((15, 3))))


@pytest.mark.parametrize(
    ("key", "value"), [("fusion", "mul"), ("adapter", "lora"), ("item_content", "image")]
)
def test_unknown_content_choices_are_refused(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{key}.*{value}"):
        Architecture(**{key: value})


@pytest.mark.parametrize("combine", ["last", "mean", "concat"])
def test_cold_items_keep_their_content_through_message_passing(combine: str) -> None:
    graph = BipartiteGraph(np.array([0, 1, 1]), np.array([0, 1, 0]), num_users=2, num_items=4)
    content = ItemContent(text=np.eye(4, dtype=np.float32))
    arch = Architecture(num_layers=2, dim=4, combine=combine, item_content="text", fusion="add")
    items = GNNRecommender(arch, graph, content=content)()[1]
    assert items[2:].abs().sum(1).min() > 0, "a cold item's representation vanished"
    assert not torch.allclose(items[2], items[3])


def test_text_space_points_build_content_models(small_graph) -> None:
    from lgnas.space import load_space, split_point

    space, rng = load_space("text"), np.random.default_rng(0)
    seen = set()
    for _ in range(60):
        arch = Architecture.from_dict(split_point(space.sample(rng))[0])
        model = GNNRecommender(arch, small_graph, content=_content(small_graph))
        assert model()[1].shape[0] == small_graph.num_items
        seen.add((arch.item_content, arch.fusion if arch.item_content != "none" else "-"))
    assert {c for c, _ in seen} == {"none", "meta", "text", "both"}
    assert {f for _, f in seen} >= {"none", "add", "concat", "gate"}


def test_id_dropout_drops_ids_only_while_training(small_graph) -> None:
    arch = Architecture(num_layers=0, dim=8, item_content="text", fusion="add", id_dropout=0.5)
    model = GNNRecommender(arch, small_graph, content=_content(small_graph))
    content = model.item_content.adapter(model.item_content.content)
    model.train()
    torch.manual_seed(0)
    items = model()[1]
    dropped = torch.isclose(items, content).all(1)
    assert 0 < int(dropped.sum()) < small_graph.num_items
    model.eval()
    assert not torch.isclose(model()[1], content).all(1).any()
