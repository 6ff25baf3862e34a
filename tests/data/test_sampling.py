from __future__ import annotations

import torch

from lgnas.data.sampling import BPRBatches, NegativeSampler


def _positives() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    user = torch.randint(0, 30, (400,), generator=gen)
    item = torch.randint(0, 25, (400,), generator=gen)
    keys = torch.unique(user * 25 + item)
    return keys // 25, keys % 25


def test_negatives_are_never_known_positives() -> None:
    user, item = _positives()
    sampler = NegativeSampler(user, item, num_items=25)
    negatives = sampler.sample(user, 5, torch.Generator().manual_seed(1))
    assert negatives.shape == (len(user), 5)
    known = set(zip(user.tolist(), item.tolist()))
    drawn = zip(user.repeat_interleave(5).tolist(), negatives.reshape(-1).tolist())
    assert not known & set(drawn)


def test_epochs_cover_every_interaction_once_and_replay_with_the_seed() -> None:
    user, item = _positives()

    def two_epochs(seed: int) -> list[list[torch.Tensor]]:
        batches = BPRBatches(user, item, 25, batch_size=64, num_negatives=1, seed=seed)
        return [list(batches), list(batches)]

    first, again, other = two_epochs(3), two_epochs(3), two_epochs(4)
    for epoch in first:
        assert len(epoch) == -(-len(user) // 64)
        users = torch.cat([b[0] for b in epoch])
        items = torch.cat([b[1] for b in epoch])
        assert sorted((users * 25 + items).tolist()) == sorted((user * 25 + item).tolist())
    flat = [torch.cat([torch.cat(b[:2]) for b in epoch]) for epoch in first]
    assert not torch.equal(flat[0], flat[1]), "epochs must reshuffle"
    for a, b in zip(first, again):
        assert all(torch.equal(x, y) for bx, by in zip(a, b) for x, y in zip(bx, by))
    assert not torch.equal(first[0][0][0], other[0][0][0])
