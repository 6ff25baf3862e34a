"""Inference latency of a trained recommender: the cost users pay at serving time."""

from __future__ import annotations

import statistics
import time

import torch

from lgnas.models.recommender import GNNRecommender

USERS = 1000  # latency is reported per this many users
TOP_K = 20


@torch.no_grad()
def latency_ms_per_1k_users(model: GNNRecommender, repeats: int = 7) -> float:
    """Median milliseconds to recommend to 1,000 users from ``model``, scoring every item.

    One pass is what serving does: propagate the graph once (a GNN's cost, which parameters
    alone do not show), score the users against all items and take their top 20. Users are
    cycled when the dataset has fewer than 1,000, so every dataset is timed at the same
    load. One untimed pass warms caches; the median of ``repeats`` ignores a stray slow one.
    Runs with torch's current thread count (the trial's ``threads``).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    users = torch.arange(USERS, device=device) % model.num_users
    k = min(TOP_K, model.num_items)

    def recommend() -> None:
        user_rep, item_rep = model()
        torch.topk(user_rep[users] @ item_rep.T, k, dim=1)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    try:
        recommend()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            recommend()
            times.append(time.perf_counter() - start)
    finally:
        model.train(was_training)
    return 1000.0 * statistics.median(times)
