"""Lightning data module: BPR training batches and full-ranking evaluation batches."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import lightning as L
import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader

from lgnas.data.interactions import Interactions
from lgnas.data.sampling import BPRBatches
from lgnas.graph.bipartite import BipartiteGraph

if TYPE_CHECKING:
    from lgnas.data.splits import Split

# Batches are built in the main process (no loader workers), so the length is exact.
warnings.filterwarnings("ignore", message="Your `IterableDataset` has `__len__` defined")


class UserItemIndex:
    """Items of each user as CSR (row pointers + item ids), to gather any user batch fast."""

    def __init__(self, parts: Sequence[Interactions], num_users: int) -> None:
        user = np.concatenate([p.user for p in parts]) if parts else np.zeros(0, np.int64)
        item = np.concatenate([p.item for p in parts]) if parts else np.zeros(0, np.int64)
        order = np.lexsort((item, user))
        self.item = torch.as_tensor(item[order], dtype=torch.int64)
        counts = np.bincount(user, minlength=num_users)
        self.ptr = torch.as_tensor(np.concatenate([[0], np.cumsum(counts)]), dtype=torch.int64)

    def counts(self, users: Tensor) -> Tensor:
        """Number of items of each user."""
        return self.ptr[users + 1] - self.ptr[users]

    def gather(self, users: Tensor) -> tuple[Tensor, Tensor]:
        """``(row, item)`` pairs: ``row`` indexes into ``users``, ``item`` is one of its items."""
        counts = self.counts(users)
        row = torch.repeat_interleave(torch.arange(len(users)), counts)
        starts = torch.repeat_interleave(self.ptr[users], counts)
        offsets = torch.arange(int(counts.sum())) - torch.repeat_interleave(
            torch.cumsum(counts, 0) - counts, counts
        )
        return row, self.item[starts + offsets]


class EvalBatches(torch.utils.data.IterableDataset):
    """Users with relevant items, in batches of ``(users, seen_row, seen_item, rel_row, rel_item)``.

    ``seen`` items are masked out of the ranking (training items; at test time validation items
    too), ``rel`` items are the targets. Sparse pairs keep batches small whatever the catalogue.
    """

    def __init__(self, seen: UserItemIndex, relevant: UserItemIndex, batch_size: int) -> None:
        super().__init__()
        all_users = torch.arange(len(relevant.ptr) - 1)
        self.users = all_users[relevant.counts(all_users) > 0]
        self.seen, self.relevant, self.batch_size = seen, relevant, batch_size

    def __len__(self) -> int:
        return -(-len(self.users) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        for start in range(0, len(self.users), self.batch_size):
            users = self.users[start : start + self.batch_size]
            yield (users, *self.seen.gather(users), *self.relevant.gather(users))


class RecDataModule(L.LightningDataModule):
    """Serves one :class:`Split`: the training graph, BPR batches, and evaluation batches.

    Args:
        split: Train / validation / test interactions sharing one id space.
        batch_size: Training triples per step.
        num_negatives: Negatives sampled per positive.
        eval_batch_size: Users scored against all items per evaluation step.
        seed: Seed of the negative sampling and shuffling.
    """

    def __init__(
        self,
        split: Split,
        batch_size: int = 2048,
        num_negatives: int = 1,
        eval_batch_size: int = 1024,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.split = split
        train = split.train
        self.num_users, self.num_items = train.num_users, train.num_items
        self.graph = BipartiteGraph(train.user, train.item, self.num_users, self.num_items)
        self.train_batches = BPRBatches(
            self.graph.user, self.graph.item, self.num_items, batch_size, num_negatives, seed
        )
        self.eval_batch_size = eval_batch_size
        self._train_index = UserItemIndex([train], self.num_users)
        self._seen_at_test = UserItemIndex([train, split.valid], self.num_users)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train_batches, batch_size=None)

    def val_dataloader(self) -> DataLoader:
        relevant = UserItemIndex([self.split.valid], self.num_users)
        return DataLoader(
            EvalBatches(self._train_index, relevant, self.eval_batch_size), batch_size=None
        )

    def test_dataloader(self) -> DataLoader:
        relevant = UserItemIndex([self.split.test], self.num_users)
        return DataLoader(
            EvalBatches(self._seen_at_test, relevant, self.eval_batch_size), batch_size=None
        )
