from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from lgnas.errors import ConfigError
from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import COMBINATIONS, OPS, Architecture, preset
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender


def _dense_adjacency(graph: BipartiteGraph) -> torch.Tensor:
    return graph.adjacency("symmetric").to_dense()


def _batch(graph: BipartiteGraph) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    users, pos = graph.user[:16], graph.item[:16]
    neg = (pos.unsqueeze(1) + 1 + torch.arange(2)) % graph.num_items
    return users, pos, neg


def _train_step_changes_weights(
    arch: Architecture, graph: BipartiteGraph, loss: str = "bpr"
) -> None:
    torch.manual_seed(0)
    module = RecommenderModule(GNNRecommender(arch, graph), loss=loss, lr=0.05)
    optimiser = module.configure_optimizers()
    before = {k: v.clone() for k, v in module.model.state_dict().items()}
    module.train()
    loss = module.training_step(_batch(graph), 0)
    assert torch.isfinite(loss)
    loss.backward()
    optimiser.step()
    changed = [k for k, v in module.model.state_dict().items() if not torch.equal(v, before[k])]
    assert "embedding.weight" in changed
    weighted_ops = {"gcn", "sage", "gin", "ngcf", "gat"}
    if weighted_ops & set(arch.op):
        assert any(k.startswith("ops.") for k in changed), "layer weights got no update"


@pytest.mark.parametrize(("op", "combine"), itertools.product(OPS, COMBINATIONS))
def test_every_op_and_combination_builds_and_trains(op: str, combine: str, small_graph) -> None:
    arch = Architecture(num_layers=2, op=op, combine=combine, heads=2)
    model = GNNRecommender(arch, small_graph)
    users, items = model()
    assert users.shape == (small_graph.num_users, model.output_dim)
    assert items.shape == (small_graph.num_items, model.output_dim)
    _train_step_changes_weights(arch, small_graph)


@pytest.mark.parametrize(
    "overrides",
    [
        {"transform": "linear", "activation": "tanh"},
        {"activation": ["relu", "elu"], "residual": True},
        {"norm": "left", "activation": "sigmoid", "dropout": 0.3},
        {"norm": "none", "op": "gin", "activation": "leaky_relu", "layer_l2norm": True},
        {"edge_dropout": 0.5, "op": ["lightgcn", "gat"]},
        {"num_layers": 0},
        {"num_layers": 4, "dim": 8},
    ],
)
def test_other_choices_build_and_train(overrides: dict, small_graph) -> None:
    arch = Architecture.from_dict({"num_layers": 2, **overrides})
    _train_step_changes_weights(arch, small_graph)


def test_mf_scores_are_embedding_dot_products(small_graph) -> None:
    model = GNNRecommender(preset("mf"), small_graph)
    users, items = model()
    weight = model.embedding.weight
    torch.testing.assert_close(users, weight[: small_graph.num_users])
    torch.testing.assert_close(items, weight[small_graph.num_users :])


def test_lightgcn_equals_mean_of_adjacency_powers(small_graph) -> None:
    model = GNNRecommender(preset("lightgcn"), small_graph)
    a = _dense_adjacency(small_graph)
    e = model.embedding.weight.detach()
    expected = (e + a @ e + a @ a @ e + a @ a @ a @ e) / 4
    users, items = model()
    torch.testing.assert_close(torch.cat([users, items]), expected, atol=1e-5, rtol=1e-5)


def test_ngcf_follows_its_layer_formula(small_graph) -> None:
    model = GNNRecommender(preset("ngcf", num_layers=1, dropout=0.0), small_graph).eval()
    a = _dense_adjacency(small_graph)
    e = model.embedding.weight.detach()
    layer = model.ops[0]
    side = a @ e
    h1 = torch.nn.functional.leaky_relu(layer.sum_linear(side + e) + layer.bi_linear(side * e), 0.2)
    expected = torch.cat([e, torch.nn.functional.normalize(h1, dim=1)], dim=1)
    users, items = model()
    torch.testing.assert_close(torch.cat([users, items]), expected.detach(), atol=1e-5, rtol=1e-5)


def test_edge_dropout_only_while_training(small_graph) -> None:
    torch.manual_seed(0)
    model = GNNRecommender(Architecture(num_layers=1, edge_dropout=0.5), small_graph)
    model.eval()
    first = model()[0]
    torch.testing.assert_close(model()[0], first)
    model.train()
    assert not torch.allclose(model()[0], first)


def test_training_loss_is_bpr_plus_batch_l2(small_graph) -> None:
    torch.manual_seed(0)
    module = RecommenderModule(GNNRecommender(preset("mf"), small_graph), reg=0.1)
    users, pos, neg = _batch(small_graph)
    e = module.model.embedding.weight
    eu, ep = e[users], e[pos + small_graph.num_users]
    en = e[neg + small_graph.num_users]
    bpr = -torch.nn.functional.logsigmoid(
        (eu * ep).sum(1, keepdim=True) - (eu[:, None] * en).sum(2)
    )
    l2 = (eu.pow(2).sum() + ep.pow(2).sum() + en.pow(2).sum()) / (2 * len(users))
    torch.testing.assert_close(module.training_step((users, pos, neg), 0), bpr.mean() + 0.1 * l2)


def test_a_diverged_training_step_raises(small_graph) -> None:
    module = RecommenderModule(GNNRecommender(preset("lightgcn"), small_graph))
    with torch.no_grad():
        module.model.embedding.weight[0] = float("nan")
    module.on_train_epoch_start()
    module.training_step(_batch(small_graph), 0)
    with pytest.raises(FloatingPointError, match="diverged"):
        module.on_train_epoch_end()


@pytest.mark.parametrize("name", ["mf", "lightgcn", "ngcf"])
def test_cosine_score_gives_unit_representations_that_train(name, small_graph):
    arch = preset(name, score="cosine")
    users, items = GNNRecommender(arch, small_graph)()
    assert torch.allclose(users.norm(dim=1), torch.ones(len(users)), atol=1e-5)
    assert torch.allclose(items.norm(dim=1), torch.ones(len(items)), atol=1e-5)
    _train_step_changes_weights(arch, small_graph)


def test_temperature_divides_the_scores_inside_the_loss(small_graph):
    batch = _batch(small_graph)
    model = GNNRecommender(preset("lightgcn", score="cosine"), small_graph)
    losses = {}
    for tau in (1.0, 0.25):
        module = RecommenderModule(model, loss="softmax", reg=0.0, temperature=tau)
        losses[tau] = module.training_step(batch, 0).item()
    users, pos, neg = batch
    u, i = model()
    pos_s, neg_s = (u[users] * i[pos]).sum(-1), (u[users].unsqueeze(1) * i[neg]).sum(-1)
    logits = torch.cat([pos_s.unsqueeze(1), neg_s], 1) / 0.25
    expected = torch.nn.functional.cross_entropy(logits, torch.zeros(len(users), dtype=torch.long))
    assert losses[0.25] == pytest.approx(expected.item(), rel=1e-5)
    assert losses[0.25] != pytest.approx(losses[1.0])


def test_full_softmax_scores_the_positive_against_every_item(small_graph):
    batch = _batch(small_graph)
    model = GNNRecommender(preset("mf", score="cosine"), small_graph)
    module = RecommenderModule(model, loss="full_softmax", reg=0.0, temperature=0.25)
    loss = module.training_step(batch, 0).item()
    users, pos, _ = batch
    u, i = model()
    expected = torch.nn.functional.cross_entropy(u[users] @ i.T / 0.25, pos)
    assert loss == pytest.approx(expected.item(), rel=1e-5)
    _train_step_changes_weights(preset("lightgcn"), small_graph, loss="full_softmax")


@pytest.mark.parametrize("tau", [0.0, -0.1])
def test_non_positive_temperature_is_refused(tau, small_graph):
    with pytest.raises(ConfigError, match="optim.temperature"):
        RecommenderModule(GNNRecommender(preset("mf"), small_graph), temperature=tau)


def test_unknown_score_is_refused():
    with pytest.raises(ConfigError, match="'score'.*'euclid'"):
        preset("mf", score="euclid")


@pytest.mark.parametrize("num_users", [12, 400])  # the batch fills the table / a few rows
def test_batch_l2_equals_the_sum_over_the_batch_rows_in_value_and_gradient(num_users) -> None:
    rng = np.random.default_rng(1)
    user, item = rng.integers(0, num_users, 60), rng.integers(0, 15, 60)
    pairs = np.unique(np.stack([user, item], 1), axis=0).T
    model = GNNRecommender(preset("mf"), BipartiteGraph(*pairs, num_users, 15))
    users = torch.as_tensor(rng.integers(0, num_users, 8))
    pos, neg = torch.as_tensor(rng.integers(0, 15, 8)), torch.as_tensor(rng.integers(0, 15, (8, 3)))
    table = model.embedding.weight
    rows = torch.cat([table[users], table[pos + num_users], table[neg.reshape(-1) + num_users]])
    want = rows.pow(2).sum() / (2 * len(users))
    (want_grad,) = torch.autograd.grad(want, table)
    got = model.batch_l2(users, pos, neg)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(torch.autograd.grad(got, table)[0], want_grad)
