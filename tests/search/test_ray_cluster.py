"""Ray clusters: losing a node mid-generation loses no trial; a missing one is a clear error."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest
import ray
from ray.cluster_utils import Cluster

from lgnas.errors import ConfigError
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, run_search
from lgnas.search.ray_executor import RayExecutor, RaySettings, connect
from lgnas.space import load_space
from lgnas.strategies.registry import make_strategy
from lgnas.trials import TrialResult

SPACE = load_space("tiny")


class HeldTrial:
    """Records which node each attempt ran on, then waits until the test lets trials end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, point: dict, fidelity: int | None = None) -> TrialResult:
        node = ray.get_runtime_context().get_node_id()
        with (self.folder / "attempts.jsonl").open("a") as attempts:
            attempts.write(json.dumps({"key": SPACE.key(point), "node": node}) + "\n")
        deadline = time.monotonic() + 120
        while not (self.folder / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return TrialResult(objective=point["lr"] + point["num_layers"], cost={"seconds": 1.0})


def _attempts(folder: Path) -> list[dict]:
    path = folder / "attempts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_losing_a_node_mid_generation_loses_no_trial(tmp_path: Path) -> None:
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    worker = cluster.add_node(num_cpus=1)
    try:
        ray.init(address=cluster.address, log_to_driver=False, logging_level="WARNING")
        cluster.wait_for_nodes()
        worker_id = worker.node_id
        journal = Journal(tmp_path / "journal.jsonl", {"strategy": "random"})
        executor = RayExecutor(RaySettings(address=cluster.address, max_retries=2))
        found = {}

        def search() -> None:
            strategy = make_strategy("random", SPACE, seed=0)
            found["outcome"] = run_search(
                strategy,
                SPACE,
                HeldTrial(tmp_path),
                journal,
                Budget(trials=4),
                batch_size=2,
                executor=executor,
            )

        searching = threading.Thread(target=search)
        searching.start()
        deadline = time.monotonic() + 120
        while len(_attempts(tmp_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = _attempts(tmp_path)
        assert {a["node"] for a in started} == {cluster.head_node.node_id, worker_id}
        cluster.remove_node(worker, allow_graceful=False)  # mid-generation, one trial on it
        (tmp_path / "go").touch()
        searching.join(timeout=240)
        assert not searching.is_alive()
    finally:
        ray.shutdown()
        cluster.shutdown()

    outcome = found["outcome"]
    assert [r.error for _, r in outcome.trials] == [None] * 4
    lost = next(a["key"] for a in started if a["node"] == worker_id)
    keys = [a["key"] for a in _attempts(tmp_path)]
    assert keys.count(lost) == 2  # rerun elsewhere after its node went away
    records = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in records[1:]) == [0, 1, 2, 3]


def test_joining_a_cluster_that_is_not_there_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    with pytest.raises(ConfigError, match=r"executor.address='auto': no Ray cluster answered"):
        connect(RaySettings(address="auto"))
    assert not ray.is_initialized()
