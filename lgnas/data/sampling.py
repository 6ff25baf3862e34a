"""Vectorised uniform negative sampling for BPR-style training."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor


class NegativeSampler:
    """Draws items a user has not interacted with, uniformly, for many users at once.

    Known pairs are kept as sorted ``user * num_items + item`` keys; a draw that hits one is
    redrawn, so each batch costs a few vectorised passes rather than a Python loop.

    Args:
        user: Users of the known (positive) interactions.
        item: Items of the known interactions.
        num_items: Size of the item catalogue to draw from.
    """

    def __init__(self, user: Tensor, item: Tensor, num_items: int) -> None:
        self.num_items = num_items
        keys = user.long() * num_items + item.long()
        # numpy's sort is several times faster than torch's on CPU.
        self.keys = torch.from_numpy(np.sort(keys.cpu().numpy())).to(keys.device)
        self._max_tries = 100

    def _known(self, user: Tensor, item: Tensor) -> Tensor:
        keys = user * self.num_items + item
        pos = torch.searchsorted(self.keys, keys).clamp(max=max(len(self.keys) - 1, 0))
        return (
            self.keys[pos] == keys if len(self.keys) else torch.zeros_like(keys, dtype=torch.bool)
        )

    def sample(self, user: Tensor, num: int, generator: torch.Generator) -> Tensor:
        """``[len(user), num]`` negative items; a user who has every item gets arbitrary ones."""
        user = user.long().unsqueeze(1).expand(-1, num).reshape(-1)
        item = torch.randint(self.num_items, (len(user),), generator=generator)
        redo = self._known(user, item)
        for _ in range(self._max_tries):
            if not redo.any():
                break
            idx = redo.nonzero().squeeze(1)
            item[idx] = torch.randint(self.num_items, (len(idx),), generator=generator)
            redo[idx] = self._known(user[idx], item[idx])
        return item.view(-1, num)


class ShuffledEpochs(torch.utils.data.IterableDataset):
    """Batches over ``num_rows`` rows, every row once per epoch, in an order drawn from
    ``seed + epoch``, so the same seed replays the same batches (and a resumed fit that
    restores ``epoch`` draws what an uninterrupted one would have)."""

    def __init__(self, num_rows: int, batch_size: int, seed: int) -> None:
        super().__init__()
        self.num_rows, self.batch_size, self.seed = num_rows, batch_size, seed
        self.epoch = 0

    def __len__(self) -> int:
        return -(-self.num_rows // self.batch_size)

    def _next_epoch(self) -> tuple[torch.Generator, Tensor]:
        """This epoch's generator and its row order; counts the epoch."""
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        self.epoch += 1
        return generator, torch.randperm(self.num_rows, generator=generator)


class BPRBatches(ShuffledEpochs):
    """One epoch = every training interaction once, shuffled, each with fresh negatives.

    Epoch ``e`` is drawn from ``seed + e``, so the same seed replays the same batches.
    Batches are whole tensors (use with ``DataLoader(batch_size=None)``).
    """

    def __init__(
        self,
        user: Tensor,
        item: Tensor,
        num_items: int,
        batch_size: int,
        num_negatives: int,
        seed: int,
    ) -> None:
        super().__init__(len(user), batch_size, seed)
        self.user, self.item = user.long(), item.long()
        self.sampler = NegativeSampler(self.user, self.item, num_items)
        self.num_negatives = num_negatives

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        generator, order = self._next_epoch()
        user, item = self.user[order], self.item[order]
        negatives = self.sampler.sample(user, self.num_negatives, generator)
        for start in range(0, len(user), self.batch_size):
            stop = start + self.batch_size
            yield user[start:stop], item[start:stop], negatives[start:stop]
