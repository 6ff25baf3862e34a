"""Seeded synthetic interactions with the two structures GNN recommenders exploit.

Real recommendation graphs have power-law degrees (a few very active users and very
popular items) and communities (users mostly interact with items of their own tastes).
This generator plants both, at any size, so searches and tests run without real data.
"""

from __future__ import annotations

import numpy as np

from lgnas.data.interactions import Interactions, as_tokens
from lgnas.data.weighted_draw import WeightedDraw
from lgnas.errors import DataError
from lgnas.graph.ordering import stable_argsort

_START = 1.6e9  # Unix seconds (September 2020); any fixed origin would do.
_SPAN = 365 * 24 * 3600.0
# Complement enumeration is exact but costs num_users*num_items memory; above this, draw.
_MAX_ENUMERATED_PAIRS = 20_000_000


def generate_synthetic(
    num_users: int,
    num_items: int,
    num_interactions: int,
    num_communities: int = 8,
    alpha: float = 1.0,
    in_community: float = 0.8,
    seed: int = 0,
) -> Interactions:
    """Generate ``num_interactions`` distinct (user, item) pairs with timestamps.

    User activity and item popularity follow Zipf-like weights ``rank**-alpha``
    (``alpha=0`` is uniform). Users and items are split evenly into ``num_communities``;
    an interaction stays inside the user's community with probability ``in_community``.
    Each item has a release time; its interactions happen after it, so "new items" exist
    for temporal and cold-start splits. Item feature ``"community"`` records the plant.
    """
    _check_sizes(num_users, num_items, num_interactions, num_communities, alpha, in_community)
    rng = np.random.default_rng(seed)
    user_weight = _zipf_weights(num_users, alpha, rng)
    item_weight = _zipf_weights(num_items, alpha, rng)
    user_community = rng.permutation(np.arange(num_users) % num_communities)
    item_community = rng.permutation(np.arange(num_items) % num_communities)
    members = [np.flatnonzero(item_community == k) for k in range(num_communities)]
    # Each draw is rng.choice(..., p=...)'s own (WeightedDraw), so seeded data is unchanged.
    draw_user = WeightedDraw(user_weight / user_weight.sum())
    draw_item = WeightedDraw(item_weight / item_weight.sum())
    draw_member = [WeightedDraw(item_weight[m] / item_weight[m].sum()) for m in members]

    pairs = np.zeros(0, dtype=np.int64)  # codes user * num_items + item, sorted and unique
    while len(pairs) < num_interactions:
        missing = num_interactions - len(pairs)
        draws = int(missing * 1.3) + 16
        user = draw_user(rng, draws)
        item = draw_item(rng, draws)
        inside = rng.random(draws) < in_community
        community = user_community[user]
        for k, (items_k, draw_k) in enumerate(zip(members, draw_member, strict=True)):
            chosen = inside & (community == k)
            item[chosen] = items_k[draw_k(rng, int(chosen.sum()))]
        grown = _merge_codes(pairs, user * num_items + item)
        if len(grown) - len(pairs) < 0.05 * draws:
            # The skewed sampler is saturated (heavy users hold most of their items already).
            grown = _fill_uniformly(grown, num_users * num_items, num_interactions, rng)
        pairs = grown
    pairs = rng.choice(pairs, size=num_interactions, replace=False)
    user, item = pairs // num_items, pairs % num_items

    release = rng.uniform(0.0, 0.8 * _SPAN, size=num_items)
    timestamp = _START + release[item] + rng.random(num_interactions) * (_SPAN - release[item])
    timestamp = np.floor(timestamp)
    order = stable_argsort(timestamp)
    return Interactions(
        user=user[order].astype(np.int64),
        item=item[order].astype(np.int64),
        rating=None,
        timestamp=timestamp[order],
        user_ids=as_tokens(np.arange(num_users)),
        item_ids=as_tokens(np.arange(num_items)),
        item_features={"community": as_tokens(item_community)},
    )


def _zipf_weights(size: int, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Power-law weights in random id order, so popularity is not encoded in the id."""
    return rng.permutation(np.arange(1, size + 1, dtype=np.float64) ** -alpha)


def _fill_uniformly(
    pairs: np.ndarray, space: int, target: int, rng: np.random.Generator
) -> np.ndarray:
    """Top up ``pairs`` to ``target`` distinct codes in ``[0, space)`` chosen uniformly."""
    if space <= _MAX_ENUMERATED_PAIRS:
        free = np.setdiff1d(np.arange(space, dtype=np.int64), pairs, assume_unique=True)
        extra = rng.choice(free, size=target - len(pairs), replace=False)
        return _merge_codes(pairs, extra)
    while len(pairs) < target:
        drawn = rng.integers(0, space, size=2 * (target - len(pairs)) + 16, dtype=np.int64)
        pairs = _merge_codes(pairs, drawn)
    return pairs


def _merge_codes(pairs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The sorted unique union of sorted unique ``pairs`` and any ``codes``.

    Only the new codes are sorted; the two sorted runs are then merged by numpy's stable
    sort (a timsort, linear on them), so the many top-up rounds of a large graph do not
    re-sort everything drawn so far. Plain sorting beats numpy's hash-based ``np.unique``.
    """
    merged = np.sort(np.concatenate([pairs, np.sort(codes)]), kind="stable")
    return merged[np.r_[True, merged[1:] != merged[:-1]]] if len(merged) else merged


def _check_sizes(
    num_users: int,
    num_items: int,
    num_interactions: int,
    num_communities: int,
    alpha: float,
    in_community: float,
) -> None:
    problems = []
    if num_users < 1 or num_items < 1 or num_interactions < 1:
        problems.append("num_users, num_items and num_interactions must be >= 1")
    elif num_interactions > num_users * num_items:
        problems.append(
            f"num_interactions={num_interactions} exceeds num_users*num_items="
            f"{num_users * num_items} distinct pairs"
        )
    if not 1 <= num_communities <= max(1, min(num_users, num_items)):
        problems.append(
            f"num_communities={num_communities} must be between 1 and min(num_users, "
            "num_items) so every community has members"
        )
    if alpha < 0:
        problems.append(f"alpha={alpha} must be >= 0 (0 = uniform degrees)")
    if not 0.0 <= in_community <= 1.0:
        problems.append(f"in_community={in_community} must be a probability in [0, 1]")
    if problems:
        raise DataError("generate_synthetic: " + "; ".join(problems) + ".")
