"""A search journals what it journaled before: a change that moves any trial says so.

``data/tiny_genetic_seed0.jsonl`` is the journal of ``python -m lgnas +strategy=genetic
dataset=synthetic search_space=tiny search.trials=8 threads=1 seed=0`` (then with a default
``search.trial_seconds=30``). It was first written before lgnas's settings were typed, and the
typed settings journaled it unchanged. It was written again when training steps began to
gather rows with ``index_select`` (lgnas.models.scoring): gradients of rows a batch repeats are
summed in another order, which moved one trial's metrics (trial 2, in the fourth decimal).
It was written once more when CSR products began to take int32 indices (the CPU's sparse
kernel then sums in another order): trial 2 moved again, 0.2010 to 0.2007 validation NDCG@20.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.search import evaluator as evaluator_module
from lgnas.search.run import run_trials

BEFORE = Path(__file__).parent / "data" / "tiny_genetic_seed0.jsonl"
COMMAND = (
    "+strategy=genetic",
    "dataset=synthetic",
    "search_space=tiny",
    "search.trials=8",
    "threads=1",
    "seed=0",
    "eval.warmup=50",  # the shipped default, which the tests' CPU_SIZE lowers
    "search.trial_seconds=30",  # the default then (no trial reached it)
)
TIMING = ("seconds", "train_seconds", "latency_ms_per_1k_users")


def _without_timing(path: Path) -> list[dict]:
    records = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        record.pop("wall_seconds", None)
        if "cost" in record:
            record["cost"] = {k: v for k, v in record["cost"].items() if k not in TIMING}
        records.append(record)
    return records


def test_the_same_seed_and_config_journal_the_same_trials_as_before(search_job, tmp_path) -> None:
    job = search_job(*COMMAND)
    outcome, _ = run_trials(job, prepare_dataset(job.dataset, seed=0), tmp_path)
    assert len(outcome.trials) == 8
    after = _without_timing(tmp_path / "journal.jsonl")
    before = _without_timing(BEFORE)
    assert after[0] == before[0]  # the header: the search's identity
    assert after[1:] == before[1:]  # every trial: point, metrics, epochs, parameters


def test_a_journal_written_before_resumes_without_training_again(
    search_job, tmp_path, monkeypatch
) -> None:
    shutil.copy(BEFORE, tmp_path / "journal.jsonl")

    def no_training(*args, **kwargs):
        raise AssertionError("a journaled trial was trained again")

    monkeypatch.setattr(evaluator_module, "fit", no_training)
    job = search_job(*COMMAND)
    outcome, _ = run_trials(job, prepare_dataset(job.dataset, seed=0), tmp_path)
    recorded = [r for r in _without_timing(BEFORE) if r["type"] == "trial"]
    assert [r.objective for _, r in outcome.trials] == [r["objective"] for r in recorded]
    assert all(r.ok for _, r in outcome.trials)


def test_a_default_search_journaled_before_dataset_fetch_resumes(
    search_job, data_dir, tmp_path, monkeypatch
) -> None:
    """``data/ml100k_genetic_seed0.jsonl``: ``python -m lgnas +strategy=genetic seed=0
    threads=1`` on ml-100k, written before the dataset configs named where to download the
    data (``dataset.fetch``) and before the staged search had ``finetune``: settings no trial
    depends on, so its 16 trials are replayed, none trained again. It was also written before
    the genetic search could graft its prior's recipes (``strategy.graft``, off by default),
    which changes its trials: it resumes as it was, and is refused with grafts on."""
    lines = (Path(__file__).parent / "data" / "ml100k_genetic_seed0.jsonl").read_text()
    header, *trials = lines.splitlines()
    identity = json.loads(header)
    assert "fetch" not in identity["dataset"]
    identity["dataset"]["path"] = str(data_dir / "ml-100k")  # where this machine keeps it
    (tmp_path / "journal.jsonl").write_text("\n".join([json.dumps(identity), *trials]) + "\n")

    def no_training(*args, **kwargs):
        raise AssertionError("a journaled trial was trained again")

    monkeypatch.setattr(evaluator_module, "fit", no_training)
    with pytest.raises(ConfigError, match=r"differs in \['strategy'\]"):
        grafting = search_job(
            "+strategy=genetic", "seed=0", "eval.warmup=50", "strategy.graft=true"
        )
        run_trials(grafting, prepare_dataset(grafting.dataset, seed=0), tmp_path)
    job = search_job("+strategy=genetic", "seed=0", "eval.warmup=50")
    assert "fetch" in job.dataset  # today's ml100k config names its download
    outcome, _ = run_trials(job, prepare_dataset(job.dataset, seed=0), tmp_path)
    assert [r.objective for _, r in outcome.trials] == [json.loads(t)["objective"] for t in trials]


def test_what_only_the_retrains_use_is_not_part_of_the_identity(search_job) -> None:
    staged = ("+strategy=staged", "search_space=cells")
    identity = search_job(*staged).identity()
    assert "finetune" not in identity["strategy"]
    assert search_job(*staged, "strategy.finetune=false").identity() == identity
    assert search_job(*staged, "strategy.keep=3").identity() != identity  # trials change


def test_graft_joins_the_identity_only_where_it_acts(search_job) -> None:
    grafting = search_job("+strategy=genetic", "strategy.graft=true").identity()
    assert grafting["strategy"]["graft"] is True
    assert "graft" not in search_job("+strategy=genetic").identity()["strategy"]  # off
    no_prior = search_job("+strategy=genetic", "strategy.graft=true", "search.prior=null")
    assert "graft" not in no_prior.identity()["strategy"]
