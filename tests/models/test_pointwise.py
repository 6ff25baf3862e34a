"""The click-through task's pointwise head scores a pair as its score option says."""

from __future__ import annotations

import pytest
import torch

from lgnas.errors import ConfigError
from lgnas.models import Architecture
from lgnas.models.module import RecommenderModule
from lgnas.models.pointwise import PointwiseHead
from lgnas.models.recommender import GNNRecommender


def _pairs() -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    u, i = torch.randn(5, 8, generator=gen), torch.randn(5, 8, generator=gen)
    return u, i, torch.tensor([0, 1, 2, 0, 3]), torch.tensor([4, 0, 1, 1, 2])


def _with_biases(head: PointwiseHead) -> PointwiseHead:
    with torch.no_grad():
        head.user_bias.weight.copy_(torch.arange(4.0).unsqueeze(1))
        head.item_bias.weight.copy_(torch.arange(5.0).unsqueeze(1) / 10)
        head.bias.fill_(-1.0)
    return head


@pytest.mark.parametrize("score", ["dot", "cosine", "mlp", "linear"])
def test_logit_is_interaction_plus_user_item_and_global_bias(score: str) -> None:
    u, i, users, items = _pairs()
    head = _with_biases(PointwiseHead(score, 4, 5, 8, temperature=0.5))
    biases = users.float() + items.float() / 10 - 1.0
    if score in ("dot", "cosine"):
        interaction = (u * i).sum(1) / 0.5
    elif score == "mlp":
        interaction = head.mlp(torch.cat([u, i, u * i], 1)).squeeze(1)
    else:
        interaction = torch.zeros(5)
    assert torch.allclose(head(u, i, users, items), interaction + biases)


def test_a_fresh_head_starts_every_pair_at_one_half() -> None:
    u, i, users, items = _pairs()
    assert torch.equal(PointwiseHead("linear", 4, 5, 8)(u, i, users, items), torch.zeros(5))


def test_ranking_refuses_pointwise_only_scores(small_graph) -> None:
    model = GNNRecommender(Architecture(num_layers=0, score="mlp"), small_graph)
    with pytest.raises(ConfigError, match="score='mlp' .* for task=ctr"):
        RecommenderModule(model)
