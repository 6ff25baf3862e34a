from __future__ import annotations

import numpy as np
import torch

from lgnas.data.datamodule import RecDataModule
from lgnas.data.interactions import Interactions
from lgnas.data.splits import Split


def _split() -> Split:
    rng = np.random.default_rng(0)
    pairs = np.unique(np.stack([rng.integers(0, 40, 600), rng.integers(0, 50, 600)], 1), axis=0)
    data = Interactions.from_tokens(pairs[:, 0].astype(str), pairs[:, 1].astype(str))
    part = rng.integers(0, 3, len(data))
    return Split(
        train=data.subset(part == 0), valid=data.subset(part == 1), test=data.subset(part == 2)
    )


def _pairs(batches, index: int) -> set[tuple[int, int]]:
    out = set()
    for batch in batches:
        users, row, item = batch[0], batch[index], batch[index + 1]
        out |= set(zip(users[row].tolist(), item.tolist()))
    return out


def _set(part: Interactions) -> set[tuple[int, int]]:
    return set(zip(part.user.tolist(), part.item.tolist()))


def test_evaluation_masks_training_items_and_targets_held_out_ones() -> None:
    split = _split()
    data = RecDataModule(split, eval_batch_size=7)
    val = list(data.val_dataloader())
    test = list(data.test_dataloader())
    assert _pairs(val, 1) == {p for p in _set(split.train) if p[0] in _users(split.valid)}
    assert _pairs(val, 3) == _set(split.valid)
    seen_at_test = _set(split.train) | _set(split.valid)
    assert _pairs(test, 1) == {p for p in seen_at_test if p[0] in _users(split.test)}
    assert _pairs(test, 3) == _set(split.test)
    assert all(len(b[0]) <= 7 for b in val)


def _users(part: Interactions) -> set[int]:
    return set(part.user.tolist())


def test_graph_holds_training_edges_only() -> None:
    split = _split()
    graph = RecDataModule(split).graph
    assert graph.num_edges == len(split.train)
    assert set(zip(graph.user.tolist(), graph.item.tolist())) == _set(split.train)
    assert torch.equal(graph.edge_index[0, : graph.num_edges], graph.user)
