"""Lightning data module of the click-through task: labelled impressions in, BCE batches out.

Every row of a labelled split (:attr:`Split.click_threshold`) is an impression ``(user, item,
clicked)``. Training steps over the training impressions, shuffled, both classes; validation
and test score their own impressions. The graph the GNN propagates over holds the training
clicks by default; an architecture with ``edges=impressions`` propagates over every training
impression instead. No validation or test row is ever an edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
from torch import Tensor
from torch.utils.data import DataLoader

from lgnas.data.datamodule import EpochBatchesModule, rank_share
from lgnas.data.interactions import Interactions
from lgnas.data.sampling import ShuffledEpochs
from lgnas.errors import ConfigError
from lgnas.graph.bipartite import BipartiteGraph

if TYPE_CHECKING:
    from lgnas.data.splits import Split


def impressions(split: Split, part: Interactions) -> tuple[Tensor, Tensor, Tensor]:
    """``(user, item, clicked)`` of a part's rows; ``clicked`` is float 0/1."""
    clicked = torch.as_tensor(split.clicked(part), dtype=torch.float32)
    user = torch.as_tensor(part.user, dtype=torch.int64)
    return user, torch.as_tensor(part.item, dtype=torch.int64), clicked


class ImpressionBatches(ShuffledEpochs):
    """One epoch = every training impression once, shuffled (:class:`ShuffledEpochs`).

    Batches ``(user, item, clicked)`` are whole tensors (``DataLoader(batch_size=None)``);
    ``user`` and ``batch_size`` let :class:`BatchShards` share them among DDP processes.
    """

    def __init__(
        self, user: Tensor, item: Tensor, clicked: Tensor, batch_size: int, seed: int
    ) -> None:
        super().__init__(len(user), batch_size, seed)
        self.user, self.item, self.clicked = user, item, clicked

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        _, order = self._next_epoch()
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            yield self.user[rows], self.item[rows], self.clicked[rows]


class EvalImpressions(torch.utils.data.IterableDataset):
    """A part's impressions in file order, ``batch_size`` at a time; under DDP each process
    takes its share of every batch (and yields as many batches as the others)."""

    def __init__(
        self, rows: tuple[Tensor, Tensor, Tensor], batch_size: int, rank: int = 0, world: int = 1
    ) -> None:
        super().__init__()
        self.rows, self.batch_size, self.rank, self.world = rows, batch_size, rank, world

    def __len__(self) -> int:
        return -(-len(self.rows[0]) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        for start in range(0, len(self.rows[0]), self.batch_size):
            size = min(self.batch_size, len(self.rows[0]) - start)
            share = rank_share(size, self.rank, self.world)
            yield tuple(r[start + share.start : start + share.stop] for r in self.rows)


class ClickDataModule(EpochBatchesModule):
    """Serves one labelled :class:`Split`: the training graphs and impression batches.

    ``graph`` holds the training clicks; :meth:`graph_of` gives either edge set.

    Args:
        split: Labelled train / validation / test impressions sharing one id space.
        batch_size: Training impressions per step.
        eval_batch_size: Impressions per evaluation step.
        seed: Seed of the shuffling.

    Raises:
        DataError: The split has no click labels.
    """

    def __init__(
        self, split: Split, batch_size: int = 2048, eval_batch_size: int = 8192, seed: int = 0
    ) -> None:
        super().__init__()
        self.split = split
        train = split.train
        self.num_users, self.num_items = train.num_users, train.num_items
        user, item, clicked = impressions(split, train)
        click = clicked.bool()
        self.graph = BipartiteGraph(
            user[click].numpy(), item[click].numpy(), self.num_users, self.num_items
        )
        self.train_batches = ImpressionBatches(user, item, clicked, batch_size, seed)
        self.eval_batch_size = eval_batch_size

    def graph_of(self, edges: str) -> BipartiteGraph:
        """The training graph of ``clicks`` (:attr:`graph`) or of all training ``impressions``.

        Raises:
            ConfigError: ``edges`` is neither.
        """
        if edges == "clicks":
            return self.graph
        if edges != "impressions":
            raise ConfigError(
                f"architecture key 'edges': unknown value {edges!r}; choose "
                "'clicks' or 'impressions'"
            )
        batches = self.train_batches  # every training impression
        return BipartiteGraph(
            batches.user.numpy(), batches.item.numpy(), self.num_users, self.num_items
        )

    def _eval_dataloader(self, part: Interactions) -> DataLoader:
        rows = impressions(self.split, part)
        batches = EvalImpressions(rows, self.eval_batch_size, *self._rank())
        return DataLoader(batches, batch_size=None)

    def val_dataloader(self) -> DataLoader:
        return self._eval_dataloader(self.split.valid)

    def test_dataloader(self) -> DataLoader:
        return self._eval_dataloader(self.split.test)
