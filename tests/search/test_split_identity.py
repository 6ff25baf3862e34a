"""A search's journal knows which seed drew its split when it is not the run's seed, so a
journal whose validation the run's seed carved is not resumed on other validation rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from lgnas.data import prepare_dataset
from lgnas.errors import ConfigError
from lgnas.search.journal import Journal
from lgnas.search.run import search_identity


def test_the_identity_names_a_split_seed_other_than_the_runs(search_job, tmp_path: Path) -> None:
    folder = tmp_path / "lg"
    folder.mkdir()
    (folder / "train.txt").write_text("".join(f"{u} {u} {u + 1} {u + 2}\n" for u in range(20)))
    (folder / "test.txt").write_text("".join(f"{u} {u + 3}\n" for u in range(20)))
    carved = ("+strategy=random", "search_space=tiny", "dataset=gowalla", f"dataset.path={folder}")

    job = search_job(*carved, "seed=0")
    assert search_identity(job, prepare_dataset(job.dataset, seed=0)) == job.identity()
    job = search_job(*carved, "seed=1")
    split = prepare_dataset(job.dataset, seed=1)
    assert split.seed == 0 and search_identity(job, split) == {**job.identity(), "split_seed": 0}

    # A journal written when the run's seed 1 carved validation is not resumed.
    Journal(tmp_path / "journal.jsonl", job.identity())
    with pytest.raises(ConfigError, match=r"differs in \['split_seed'\]"):
        Journal(tmp_path / "journal.jsonl", search_identity(job, split))

    # Where the run's seed draws the split, as before, the identity is unchanged.
    job = search_job("+strategy=random", "search_space=tiny", "dataset=synthetic", "seed=1")
    assert search_identity(job, prepare_dataset(job.dataset, seed=1)) == job.identity()
