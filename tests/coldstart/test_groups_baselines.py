"""Item-group evaluation and cold-start baselines on a small hand-checkable split."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lgnas.coldstart import (
    content_knn,
    evaluate_groups,
    item_groups,
    neighbour_popularity,
    random_scores,
)
from lgnas.data.interactions import Interactions
from lgnas.data.splits import Split


def _part(user: list[int], item: list[int], num_users: int = 3, num_items: int = 6):
    return Interactions(
        user=np.array(user, dtype=np.int64),
        item=np.array(item, dtype=np.int64),
        rating=None,
        timestamp=None,
        user_ids=np.arange(num_users).astype(str),
        item_ids=np.arange(num_items).astype(str),
    )


@pytest.fixture
def split() -> Split:
    """Items 4 and 5 are cold; item 0 is the most popular warm item, items 2 and 3 the least."""
    return Split(
        train=_part([0, 0, 1, 1, 2, 2], [0, 1, 0, 2, 0, 3]),
        valid=_part([0], [4]),
        test=_part([1, 2, 2], [5, 5, 1]),
        cold_items=np.array([4, 5]),
    )


def test_groups_split_cold_warm_and_popularity(split: Split) -> None:
    groups = item_groups(split, buckets=2)
    np.testing.assert_array_equal(groups["cold"].candidates, [5])  # the test cold item
    np.testing.assert_array_equal(groups["cold_all"].candidates, [4, 5])
    np.testing.assert_array_equal(item_groups(split, part="valid")["cold"].relevant, [4])
    np.testing.assert_array_equal(groups["warm"].relevant, [0, 1, 2, 3])
    np.testing.assert_array_equal(groups["pop0"].relevant, [1, 2])  # 1 interaction each
    np.testing.assert_array_equal(groups["pop1"].relevant, [0, 3])  # item 0 has 3
    assert groups["all"].candidates is None


def test_cold_items_are_ranked_among_cold_items_only(split: Split) -> None:
    # Scores prefer warm items, then item 4 over the relevant cold item 5.
    scores = torch.tensor([10.0, 9.0, 8.0, 7.0, 2.0, 1.0])
    groups = item_groups(split, buckets=2)
    result = evaluate_groups(
        lambda users: scores.expand(len(users), -1), split, groups, ks=(1,), metrics=["recall"]
    )
    # Among all cold items, users 1 and 2 both see item 4 first: no hit at 1; among the
    # test's cold items, item 5 is the only candidate.
    assert result["cold_all"] == {"recall@1": 0.0, "users": 2.0}
    assert result["cold"] == {"recall@1": 1.0, "users": 2.0}
    # Over all items, the first unseen item is 1: a hit for user 2 (1 of 2), a miss for user 1.
    assert result["all"]["recall@1"] == pytest.approx((0.0 + 0.5) / 2)
    flipped = torch.tensor([10.0, 9.0, 8.0, 7.0, 1.0, 2.0])
    result = evaluate_groups(
        lambda users: flipped.expand(len(users), -1), split, groups, ks=(1,), metrics=["recall"]
    )
    assert result["cold_all"]["recall@1"] == 1.0


def test_neighbour_popularity_never_reads_cold_interactions(split: Split) -> None:
    content = np.array([[1, 0], [0, 1], [0, 1], [0, 1], [1, 0.1], [0, 1]], dtype=np.float32)
    scores = neighbour_popularity(split, content, k=1)(torch.tensor([0]))[0]
    np.testing.assert_allclose(scores[:4].numpy(), [3, 1, 1, 1])  # training counts
    assert scores[4] == 3.0 and scores[5] == 1.0  # borrowed from items 0 and 1 (nearest)
    # Adding interactions of cold items to validation/test changes nothing.
    leaky = Split(split.train, split.valid, _part([0, 1, 2], [4, 4, 4]), split.cold_items)
    torch.testing.assert_close(
        neighbour_popularity(leaky, content, k=1)(torch.tensor([0]))[0], scores
    )


def test_content_knn_scores_items_like_the_users_history(split: Split) -> None:
    content = np.eye(6, dtype=np.float32)
    content[5] = content[0]  # item 5 looks like item 0
    scores = content_knn(split, content)(torch.tensor([0, 1]))
    assert scores[0, 5] > scores[0, 4]  # user 0 trained on item 0


def test_random_scores_are_seeded() -> None:
    a = random_scores(6, seed=3)(torch.arange(2))
    b = random_scores(6, seed=3)(torch.arange(2))
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, random_scores(6, seed=4)(torch.arange(2)))


def test_tied_scores_do_not_rank_by_item_index(split: Split) -> None:
    """A model scoring every item alike is not rewarded for low item ids."""
    big = Split(
        train=_part([0] * 10, list(range(10)), num_users=2, num_items=200),
        valid=_part([], [], num_users=2, num_items=200),
        test=_part([1] * 10, list(range(10, 20)), num_users=2, num_items=200),
        cold_items=np.arange(10, 200),
    )
    groups = item_groups(big)
    tied = evaluate_groups(lambda users: torch.zeros(len(users), 200), big, groups, ks=(10,))
    assert tied["cold_all"]["recall@10"] < 0.5  # index order would give 1.0
    again = evaluate_groups(lambda users: torch.zeros(len(users), 200), big, groups, ks=(10,))
    assert again == tied  # the tie order is seeded
