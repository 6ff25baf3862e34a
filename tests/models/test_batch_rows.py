"""A training step's rows computed alone (the last layer at the scored rows only) equal the
same rows of the full forward pass, values and gradients."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from lgnas.graph.bipartite import BipartiteGraph
from lgnas.models.architecture import COMBINATIONS, Architecture, preset
from lgnas.models.layers import OP_REGISTRY
from lgnas.models.module import RecommenderModule
from lgnas.models.recommender import GNNRecommender

ROW_WISE = [name for name, cls in OP_REGISTRY.items() if getattr(cls, "row_wise", False)]


@pytest.fixture(scope="module")
def graph() -> BipartiteGraph:
    """150 users, 200 items: a batch of 8 users scores far under a quarter of the nodes."""
    rng = np.random.default_rng(3)
    drawn = zip(rng.integers(0, 150, 1500), rng.integers(0, 200, 1500))
    pairs = {(int(u), int(i)) for u, i in drawn}
    user, item = np.array(sorted(pairs)).T
    return BipartiteGraph(user, item, num_users=150, num_items=200)


def _batch(graph: BipartiteGraph) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    picked = torch.randperm(graph.num_edges, generator=generator)[:8]
    users, pos = graph.user[picked], graph.item[picked]
    neg = torch.randint(0, graph.num_items, (8, 3), generator=generator)
    neg[0, 0] = pos[1]  # an item both a positive and a negative in the batch
    return users, pos, neg


def _rows_and_grads(model: GNNRecommender, batch, at_rows: bool):
    """The batch's representations and the gradients of a fixed projection of them."""
    users, pos, neg = batch
    model.zero_grad()
    torch.manual_seed(7)  # edge dropout draws the same edges either way
    if at_rows:
        reps = model.batch_representations(users, pos, neg)
        assert reps is not None
    else:
        user_rep, item_rep = model()
        reps = (user_rep[users], item_rep[pos], item_rep[neg])
    weight = torch.Generator().manual_seed(1)
    loss = sum((r * torch.randn(r.shape, generator=weight)).sum() for r in reps)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return [r.detach() for r in reps], grads


def _assert_same(arch: Architecture, graph: BipartiteGraph) -> None:
    torch.manual_seed(0)
    model = GNNRecommender(arch, graph).train()
    batch = _batch(graph)
    rows, grads = _rows_and_grads(model, batch, at_rows=True)
    full, full_grads = _rows_and_grads(model, batch, at_rows=False)
    for got, want in zip(rows, full, strict=True):
        assert got.shape == want.shape
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert grads.keys() == full_grads.keys() and "embedding.weight" in grads
    for name, want in full_grads.items():
        torch.testing.assert_close(grads[name], want, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize(("op", "combine"), itertools.product(ROW_WISE, COMBINATIONS))
def test_rows_equal_the_full_pass_for_every_row_wise_op(op, combine, graph) -> None:
    _assert_same(Architecture(num_layers=2, op=op, combine=combine), graph)


@pytest.mark.parametrize(
    "overrides",
    [
        {"transform": "linear", "activation": "tanh", "residual": True},
        {"norm": "left", "layer_l2norm": True, "score": "cosine"},
        {"norm": "none", "op": ["gat", "gin"], "activation": "elu"},
        {"edge_dropout": 0.3, "op": "ngcf", "combine": "concat"},
        {"num_layers": 1, "op": "sage", "combine": "weighted"},
    ],
)
def test_rows_equal_the_full_pass_with_layer_options(overrides, graph) -> None:
    _assert_same(Architecture(**{"num_layers": 2, **overrides}), graph)


def test_rows_not_computed_where_they_cannot_or_may_not_pay(graph) -> None:
    users, pos, neg = _batch(graph)
    for arch in (preset("mf"), Architecture(num_layers=2, op=["lightgcn", "gat"])):
        assert GNNRecommender(arch, graph).batch_representations(users, pos, neg) is None
    # 30 users with 1 + 3 items each could fill over a quarter of the 350 nodes
    wide = (users.repeat(4)[:30], pos.repeat(4)[:30], neg.repeat(4, 1)[:30])
    assert GNNRecommender(preset("lightgcn"), graph).batch_representations(*wide) is None


def test_training_step_loss_equals_the_full_pass(graph) -> None:
    batch = _batch(graph)
    torch.manual_seed(0)
    module = RecommenderModule(GNNRecommender(preset("lightgcn"), graph), loss="softmax")
    module.train()
    loss = module.training_step(batch, 0)
    users, pos, neg = batch
    user_rep, item_rep = module.model()
    u = user_rep[users]
    scores = (u * item_rep[pos]).sum(-1), (u.unsqueeze(1) * item_rep[neg]).sum(-1)
    want = module.loss_fn(*scores) + module.hparams.reg * module.model.batch_l2(*batch)
    torch.testing.assert_close(loss, want)


class _NotRowWise(nn.Module):
    """Declares itself row-wise but propagates a transformed input."""

    row_wise = True

    def forward(self, h, propagate):
        return propagate(2 * h)


def test_an_op_wrongly_declared_row_wise_is_refused(graph) -> None:
    model = GNNRecommender(Architecture(num_layers=1), graph)
    model.ops[0] = _NotRowWise()
    with pytest.raises(RuntimeError, match="must not set row_wise"):
        model.batch_representations(*_batch(graph))
