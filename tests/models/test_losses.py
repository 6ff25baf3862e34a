"""The training losses against their formulas, temperature included."""

from __future__ import annotations

import pytest
import torch

from lgnas.models import Architecture, GNNRecommender, RecommenderModule
from lgnas.models.losses import full_softmax_loss, sampled_softmax_loss


def test_full_softmax_is_logsumexp_minus_the_positive() -> None:
    every = torch.randn(6, 9, generator=torch.Generator().manual_seed(0))
    positives = torch.tensor([0, 3, 3, 8, 1, 5])
    want = (torch.logsumexp(every, 1) - every[torch.arange(6), positives]).mean()
    torch.testing.assert_close(full_softmax_loss(every, positives), want)


@pytest.mark.parametrize("loss", ["softmax", "full_softmax"])
@pytest.mark.parametrize("temperature", [1.0, 0.2])
def test_a_step_scores_every_pair_over_the_temperature(small_graph, loss, temperature) -> None:
    torch.manual_seed(0)
    model = GNNRecommender(Architecture.from_dict({"num_layers": 1, "dim": 8}), small_graph)
    module = RecommenderModule(model, loss=loss, reg=0.0, temperature=temperature)
    users, pos = torch.tensor([0, 1, 1, 5]), torch.tensor([2, 0, 7, 14])
    neg = torch.tensor([[1, 4, 4], [3, 9, 0], [2, 2, 5], [6, 13, 11]])
    got = module.training_step((users, pos, neg), 0)

    user_rep, item_rep = model()
    scores = user_rep[users] @ item_rep.T / temperature  # every (user, item) score over τ
    rows = torch.arange(4)
    if loss == "full_softmax":
        want = (torch.logsumexp(scores, 1) - scores[rows, pos]).mean()
    else:
        want = sampled_softmax_loss(scores[rows, pos], scores[rows.unsqueeze(1), neg])
    torch.testing.assert_close(got, want)
