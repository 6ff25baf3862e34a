"""``trainer.devices=2`` on CPU: one fit in two spawned gloo DDP processes, sharded data."""

from __future__ import annotations

import pytest
import torch

from lgnas.data import prepare_dataset
from lgnas.data.datamodule import BatchShards, EvalBatches, RecDataModule, UserItemIndex
from lgnas.data.sampling import BPRBatches
from lgnas.errors import ConfigError
from lgnas.training import fit, spawned_processes

# A model without dropout: under DDP Lightning re-seeds each rank after the model is built, so
# dropout masks come from another (equally random) stream than in one process; without dropout
# two processes take exactly the steps one takes, up to float summation order.
TOLERANCE = 1e-5  # absolute, on every validation and test metric


@pytest.fixture(scope="module")
def small_jobs(train_job):
    overrides = [
        "dataset=synthetic",
        "dataset.options.num_users=200",
        "dataset.options.num_items=300",
        "dataset.options.num_interactions=4000",
        "model=custom",
        "trainer.max_epochs=2",
        "trainer.accelerator=cpu",
        "optim.batch_size=500",
        "eval.batch_size=64",
    ]
    return train_job(*overrides), train_job(*overrides, "trainer.devices=2")


def test_two_gloo_processes_report_the_metrics_of_one(small_jobs) -> None:
    one, two = small_jobs
    split = prepare_dataset(one.dataset, seed=0)
    single = fit(one.architecture, one.optim, split, one.train)
    double = fit(two.architecture, two.optim, split, two.train)
    assert double.epochs == single.epochs == 2
    # Why training stopped comes back from rank 0 too.
    assert double.stop_reason == single.stop_reason == "epoch_cap"
    assert double.still_improving == single.still_improving
    assert double.valid.keys() == single.valid.keys() and double.test.keys() == single.test.keys()
    for key in single.valid:
        assert double.valid[key] == pytest.approx(single.valid[key], abs=TOLERANCE), key
    for key in single.test:
        assert double.test[key] == pytest.approx(single.test[key], abs=TOLERANCE), key
    # Rank 0 hands back the trained model, the weights of the best epoch.
    weights = double.module.model.state_dict()
    for name, value in single.module.model.state_dict().items():
        torch.testing.assert_close(weights[name], value, atol=1e-5, rtol=1e-4)


def _epoch(batches) -> list:
    """Epoch 0 of BPR batches or of a rank's shards (each pass draws the next epoch)."""
    getattr(batches, "batches", batches).epoch = 0
    return list(batches)


def test_ranks_share_out_training_rows_and_evaluation_users(small_jobs) -> None:
    one, _ = small_jobs
    split = prepare_dataset(one.dataset, seed=0)
    data = RecDataModule(split, batch_size=501, eval_batch_size=64)
    whole = _epoch(data.train_batches)
    shards = [_epoch(BatchShards(data.train_batches, rank, 3)) for rank in range(3)]
    assert [len(s) for s in shards] == [len(whole)] * 3
    for step, batch in enumerate(whole):  # the ranks' rows, put together, are the batch
        joined = [torch.cat([s[step][part] for s in shards]) for part in range(3)]
        assert all(torch.equal(a, b) for a, b in zip(joined, batch))
    relevant = UserItemIndex([split.valid], data.num_users)
    ranks = [list(EvalBatches(data._train_index, relevant, 64, rank, 3)) for rank in range(3)]
    assert len({len(r) for r in ranks}) == 1  # as many steps on every rank
    users = torch.cat([b[0] for r in ranks for b in r])
    everyone = EvalBatches(data._train_index, relevant, 64).users
    assert torch.equal(users.sort().values, everyone)  # each user on exactly one rank
    # A last batch of one user leaves rank 0 an empty batch, still yielded: equal step counts.
    odd = [list(EvalBatches(data._train_index, relevant, len(everyone) - 1, r, 2)) for r in (0, 1)]
    assert [len(r) for r in odd] == [2, 2]
    assert len(odd[0][1][0]) == 0 and len(odd[1][1][0]) == 1


def test_a_last_batch_smaller_than_the_ranks_is_skipped_by_all() -> None:
    user, item = torch.arange(7), torch.arange(7)
    batches = BPRBatches(user, item, num_items=20, batch_size=3, num_negatives=1, seed=0)
    shards = [BatchShards(batches, rank, 2) for rank in range(2)]
    assert [len(s) for s in shards] == [2, 2]
    assert [[len(b[0]) for b in _epoch(s)] for s in shards] == [[1, 1], [2, 2]]


@pytest.mark.parametrize(("devices", "spawned"), [(1, 0), (2, 2), ("auto", 0)])
def test_only_several_devices_spawn(small_jobs, devices, spawned) -> None:
    one, _ = small_jobs
    assert spawned_processes({**one.train.trainer, "devices": devices}) == spawned


def test_bad_device_counts_are_clear_errors(small_jobs) -> None:
    trainer = {**small_jobs[0].train.trainer, "devices": 0}
    with pytest.raises(ConfigError, match=r"trainer.devices=0 must be"):
        spawned_processes(trainer)
    with pytest.raises(ConfigError, match=r"trainer.devices=0 must be"):
        small_jobs[0].train.replace(trainer={"devices": 0})
