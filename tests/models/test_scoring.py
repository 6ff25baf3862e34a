"""The training scores' gathers: the values and gradients of plain tensor indexing."""

from __future__ import annotations

import pytest
import torch

from lgnas.models.scoring import DENSE_RATIO, rows, sampled_scores


def _reference(users: torch.Tensor, items: torch.Tensor, negatives: torch.Tensor):
    return (users.unsqueeze(1) * items[negatives]).sum(-1)


@pytest.mark.parametrize(
    ("num_items", "negatives"),
    [(50, 1), (50, 4), (4 * DENSE_RATIO, 4), (4 * DENSE_RATIO + 1, 4), (10, 64)],
)
def test_sampled_scores_and_their_gradients_equal_indexing(num_items, negatives) -> None:
    generator = torch.Generator().manual_seed(num_items + negatives)
    users = torch.randn(33, 8, generator=generator, requires_grad=True)
    items = torch.randn(num_items, 8, generator=generator, requires_grad=True)
    # Repeated ids: their gradients must be summed, whichever path scores them.
    sampled = torch.randint(0, num_items, (33, negatives), generator=generator)
    weights = torch.randn(33, negatives, generator=generator)

    got = sampled_scores(users, items, sampled)
    (got * weights).sum().backward()
    got_grads = users.grad.clone(), items.grad.clone()
    users.grad = items.grad = None
    want = _reference(users, items, sampled)
    (want * weights).sum().backward()

    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got_grads[0], users.grad)
    torch.testing.assert_close(got_grads[1], items.grad)


def test_rows_keeps_the_index_shape_and_sums_repeated_rows_gradients() -> None:
    table = torch.arange(12.0).view(4, 3).requires_grad_()
    index = torch.tensor([[1, 1], [3, 0]])
    picked = rows(table, index)
    assert picked.shape == (2, 2, 3)
    assert torch.equal(picked, table[index])
    picked.sum().backward()
    assert table.grad[:, 0].tolist() == [1.0, 2.0, 0.0, 1.0]
