"""The pointwise head of the click-through task: one (user, item) pair to a click logit."""

from __future__ import annotations

import torch
from torch import Tensor, nn

POINTWISE_SCORES = ("mlp", "linear")
"""Scores only a pairwise head computes (``Architecture.score``); ranking every item by them
is not offered, so the ranking task refuses them."""


class PointwiseHead(nn.Module):
    """A click logit from a pair's representations: an interaction term plus user, item and
    global biases (what logistic regression on the ids learns alone).

    The interaction term follows ``Architecture.score``: ``dot`` (with the biases, a
    factorisation machine over the user and item ids), ``cosine`` (the representations are
    unit rows; divided by ``temperature`` so the logit can leave [-1, 1]), ``mlp`` (one hidden
    layer of width ``dim`` over ``[u, i, u * i]``) or ``linear`` (none: the biases alone).

    Args:
        score: The interaction term, as above.
        num_users: Users, for their biases.
        num_items: Items, for their biases.
        dim: Width of the representations.
        temperature: Divides ``dot`` and ``cosine`` terms.
    """

    def __init__(
        self, score: str, num_users: int, num_items: int, dim: int, temperature: float = 1.0
    ) -> None:
        super().__init__()
        self.score, self.temperature = score, temperature
        self.user_bias = nn.Embedding(num_users, 1)
        self.item_bias = nn.Embedding(num_items, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        self.mlp = (
            nn.Sequential(nn.Linear(3 * dim, dim), nn.ReLU(), nn.Linear(dim, 1))
            if score == "mlp"
            else None
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Zero biases (every pair starts at probability 1/2) and fresh MLP weights."""
        for bias in (self.user_bias.weight, self.item_bias.weight, self.bias):
            nn.init.zeros_(bias)
        for layer in self.mlp or ():
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()

    def forward(self, u: Tensor, i: Tensor, users: Tensor, items: Tensor) -> Tensor:
        """Logits ``[B]`` of pairs with representations ``u``, ``i`` ``[B, dim]`` and ids
        ``users``, ``items`` ``[B]``."""
        logit = self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1) + self.bias
        if self.mlp is not None:
            return logit + self.mlp(torch.cat([u, i, u * i], dim=-1)).squeeze(-1)
        if self.score == "linear":
            return logit
        return logit + (u * i).sum(-1) / self.temperature
