"""``lgnas.recommend`` on a real (tiny) ml-100k search: ids, titles, exclusions, clear errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lgnas.errors import LgnasError
from lgnas.recommend import Recommender, RunError, UnknownUserError, main
from lgnas.search.run import search

TINY = [
    "+strategy=random", "dataset=ml100k", "search_space=tiny", "search.trials=2",
    "search.fidelity=1", "search.baselines=[]", "trainer.max_epochs=3", "eval.warmup=0",
    "threads=1",
    "search.blend=null",  # a trained GNN served (a served blend: test_graph_filter_baseline.py)
]  # fmt: skip
USER = "196"  # the first user of ml-100k's u.data


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, search_job) -> Path:
    """A finished tiny search on ml-100k, run in-process (so no Hydra ``.hydra/`` copy)."""
    run = tmp_path_factory.mktemp("search") / "run"
    search(search_job(*TINY), run, show_progress=False)
    return run


@pytest.fixture(scope="module")
def recommender(run_dir: Path) -> Recommender:
    return Recommender.from_run(run_dir)


def _recommend_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "lgnas.recommend", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_cli_prints_top_k_by_original_ids_with_titles(
    run_dir: Path, recommender: Recommender
) -> None:
    done = _recommend_cli(f"run={run_dir}", f"user={USER}", "k=10")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith(f"Top 10 for user {USER} (found-1 of ")
    expected = recommender.recommend(USER, 10)
    for line, item in zip(lines[1:], expected, strict=True):
        assert line.split()[:2] == [f"{item.rank}.", item.item]
        assert item.title in line and item.title


def test_recommendations_are_new_distinct_items_with_their_own_titles(
    recommender: Recommender,
) -> None:
    split = recommender.split
    index = int(np.flatnonzero(split.train.user_ids == USER)[0])
    owned = {
        str(split.train.item_ids[i])
        for part in (split.train, split.valid, split.test)
        for i in part.item[part.user == index]
    }
    items = recommender.recommend(USER, 10)
    assert len({r.item for r in items}) == 10 and not owned & {r.item for r in items}
    assert [r.score for r in items] == sorted((r.score for r in items), reverse=True)
    # Titles follow the original id, not the dense index: ml-100k item 50 is Star Wars.
    titles = dict(zip(split.train.item_ids, recommender.titles))
    assert titles["50"] == "Star Wars (1977)" and titles["1"] == "Toy Story (1995)"
    assert all(r.title == titles[r.item] for r in items)


def test_excluding_only_training_items_can_return_held_out_ones(
    recommender: Recommender,
) -> None:
    everything = recommender.known_items(USER, "all")
    trained = recommender.known_items(USER, "train")
    assert set(trained) < set(everything)  # validation and test items exist for this user
    many = recommender.recommend(USER, 200, exclude="train")
    item_ids = recommender.split.train.item_ids
    assert not {str(item_ids[i]) for i in trained} & {r.item for r in many}
    assert {str(item_ids[i]) for i in set(everything) - set(trained)} & {r.item for r in many}


def test_rebuilt_model_reproduces_its_validation_recall(
    run_dir: Path, recommender: Recommender
) -> None:
    """Split, weights and id maps rebuilt from the run dir rank as the model did in training."""
    saved = json.loads((run_dir / "final" / "found-1" / "metrics.json").read_text())
    valid, train = recommender.split.valid, recommender.split.train
    recalls = []
    for index in np.unique(valid.user):
        relevant = {str(train.item_ids[i]) for i in valid.item[valid.user == index]}
        top = {r.item for r in recommender.recommend(train.user_ids[index], 20, exclude="train")}
        recalls.append(len(relevant & top) / len(relevant))
    assert np.mean(recalls) == pytest.approx(saved["valid"]["val/recall@20"], abs=2e-3)


def _cli_error(capsys: pytest.CaptureFixture, *args: str) -> str:
    """The message ``python -m lgnas.recommend`` exits with (its main, in this process)."""
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    assert capsys.readouterr().out == ""
    return str(exit_.value.code)


def test_unknown_user_is_named_with_examples(
    recommender: Recommender, run_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(UnknownUserError, match=r"user '99999' is not in the dataset \(943 users"):
        recommender.recommend("99999", 10)
    message = _cli_error(capsys, f"run={run_dir}", "user=alice")
    assert message.startswith("lgnas.recommend: error: user 'alice' is not in the dataset")
    assert "ids look like 1, 2, 3, ..., 943" in message


def test_missing_run_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(RunError, match="does not exist"):
        Recommender.from_run(tmp_path / "nowhere")
    message = _cli_error(capsys, f"run={tmp_path / 'nowhere'}", f"user={USER}")
    assert "nowhere does not exist" in message and "usage: python -m lgnas.recommend" in message


def test_a_run_without_a_final_model_says_so(run_dir: Path, tmp_path: Path) -> None:
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    shutil.copy(run_dir / "config.yaml", unfinished / "config.yaml")
    with pytest.raises(RunError, match=r"no finished final model final/found-1/model.pt.*none"):
        Recommender.from_run(unfinished)
    with pytest.raises(RunError, match=r"Finished models: \['found-1'\]"):
        Recommender.from_run(run_dir, model="found-2")


def test_a_folder_that_is_no_search_run_says_so(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="has no config.yaml"):
        Recommender.from_run(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user=1"], "missing run="),
        (["run=x", "user=1", "top=5"], "'top=5' is not one of"),
        (["run=x", "user=1", "k=ten"], "k='ten' must be a positive integer"),
    ],
)
def test_bad_arguments_are_refused(args: list[str], message: str) -> None:
    from lgnas.recommend import parse_arguments

    with pytest.raises(LgnasError, match=message):
        parse_arguments(args)
