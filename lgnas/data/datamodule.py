"""Lightning data module: BPR training batches and full-ranking evaluation batches."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

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
        # Sorting (user, item) codes orders the items by user, then id: no argsort needed.
        num_items = parts[0].num_items if parts else 1
        pair = np.sort(user.astype(np.int64) * num_items + item)
        self.item = torch.as_tensor(pair % num_items, dtype=torch.int64)
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


def rank_share(size: int, rank: int, world: int) -> slice:
    """Rank ``rank``'s contiguous share of ``size`` rows split among ``world`` processes."""
    return slice(rank * size // world, (rank + 1) * size // world)


class EvalBatches(torch.utils.data.IterableDataset):
    """Users with relevant items, in batches of ``(users, seen_row, seen_item, rel_row, rel_item)``.

    ``seen`` items are masked out of the ranking (training items; at test time validation items
    too), ``rel`` items are the targets. Sparse pairs keep batches small whatever the catalogue.

    Under DDP each of ``world`` processes takes its share of every batch, so the users are
    partitioned and (metric states being sums, synced by torchmetrics) every user counts once.
    Every process yields as many batches, some possibly empty: the model's forward is a
    collective under DDP, and one process stepping more often than another would hang both.
    """

    def __init__(
        self,
        seen: UserItemIndex,
        relevant: UserItemIndex,
        batch_size: int,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        super().__init__()
        all_users = torch.arange(len(relevant.ptr) - 1)
        self.users = all_users[relevant.counts(all_users) > 0]
        self.seen, self.relevant, self.batch_size = seen, relevant, batch_size
        self.rank, self.world = rank, world

    def __len__(self) -> int:
        return -(-len(self.users) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        for start in range(0, len(self.users), self.batch_size):
            users = self.users[start : start + self.batch_size]
            users = users[rank_share(len(users), self.rank, self.world)]
            yield (users, *self.seen.gather(users), *self.relevant.gather(users))


class BatchShards(torch.utils.data.IterableDataset):
    """One DDP process's share of each training batch: gradients averaged over the processes
    then equal those of the whole batch, so N processes take the same steps as one.

    A batch with fewer rows than processes (at most the epoch's last) is skipped by all of them,
    since an empty share has no mean loss.
    """

    def __init__(self, batches: BPRBatches, rank: int, world: int) -> None:
        super().__init__()
        self.batches, self.rank, self.world = batches, rank, world

    def __len__(self) -> int:
        tail = len(self.batches.user) % self.batches.batch_size
        return len(self.batches) - (0 < tail < self.world)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        for batch in self.batches:
            if len(batch[0]) >= self.world:
                share = rank_share(len(batch[0]), self.rank, self.world)
                yield tuple(part[share] for part in batch)


class EpochBatchesModule(L.LightningDataModule):
    """What every task's data module shares: training batches drawn per epoch from
    ``seed + epoch`` (``train_batches``), shared among DDP processes, and the epoch counter
    saved in Lightning checkpoints so a resumed fit draws the batches an uninterrupted one
    would have drawn."""

    # An iterable of batches with an ``epoch``; ``user`` and ``batch_size`` for BatchShards.
    train_batches: Any

    def state_dict(self) -> dict[str, int]:
        """The next training epoch's number."""
        return {"epoch": self.train_batches.epoch}

    def load_state_dict(self, state_dict: dict[str, int]) -> None:
        self.train_batches.epoch = int(state_dict["epoch"])

    def _rank(self) -> tuple[int, int]:
        """This process's rank and the number of processes (1 unless under DDP)."""
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def train_dataloader(self) -> DataLoader:
        rank, world = self._rank()
        batches = self.train_batches if world == 1 else BatchShards(self.train_batches, rank, world)
        return DataLoader(batches, batch_size=None)


class RecDataModule(EpochBatchesModule):
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

    @cached_property
    def _seen_at_test(self) -> UserItemIndex:
        """Training and validation items, masked at test time: built on the first test, since
        search trials never test and need not sort every training and validation row again."""
        return UserItemIndex([self.split.train, self.split.valid], self.num_users)

    def _eval_dataloader(self, seen: UserItemIndex, part: Interactions) -> DataLoader:
        relevant = UserItemIndex([part], self.num_users)
        batches = EvalBatches(seen, relevant, self.eval_batch_size, *self._rank())
        return DataLoader(batches, batch_size=None)

    def val_dataloader(self) -> DataLoader:
        return self._eval_dataloader(self._train_index, self.split.valid)

    def test_dataloader(self) -> DataLoader:
        return self._eval_dataloader(self._seen_at_test, self.split.test)
