"""README's "Your own data" command lines, run as written on small real files (ml-100k rows),
with tiny budgets appended the way a user would add them."""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TINY = (
    "search.trials=2",
    "search.fidelity=1",
    "search.top_k=1",
    "search.baselines=[]",
    "trainer.max_epochs=2",
    "eval.warmup=0",
    "threads=1",
)


def readme_lines() -> list[str]:
    """The ``python -m lgnas`` lines of the section's code blocks, continuations joined."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Your own data\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.startswith("python -m lgnas")]


LINES = readme_lines()


def test_the_section_shows_the_three_shapes() -> None:
    assert len(LINES) == 3
    assert "dataset.path=ratings.csv" in LINES[0] and "dataset.train=train.tsv" in LINES[1]
    assert "--config-dir examples/conf +strategy=genetic dataset=my_ratings" in LINES[2]


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> list[list[str]]:
    """ml-100k's ratings of its first 100 items by its first 150 users (2,315; few
    items keep the text encoding short): user, item, rating, timestamp."""
    lines = (data_dir / "ml-100k" / "ml-100k.inter").read_text().splitlines()[1:]
    rows = (line.split("\t") for line in lines)
    return [r for r in rows if int(r[0]) <= 150 and int(r[1]) <= 100]


def write_files(folder: Path, rows: list[list[str]], data_dir: Path) -> None:
    """What the three lines read, written from the same real rows."""
    (folder / "ratings.csv").write_text(
        "user;item;rating;timestamp\n" + "".join(";".join(r) + "\n" for r in rows)
    )
    for part, rest in (("train", (1, 2, 3, 4)), ("test", (0,))):
        chunk = [r for n, r in enumerate(rows) if n % 5 in rest]
        (folder / f"{part}.tsv").write_text("".join("\t".join(r[:3]) + "\n" for r in chunk))
    shutil.copytree(REPO / "examples", folder / "examples")
    with (folder / "my_ratings.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["user", "item", "rating", "timestamp"], *rows])
    items = (data_dir / "ml-100k" / "ml-100k.item").read_text(encoding="utf-8").splitlines()
    with (folder / "my_items.csv").open("w", newline="") as handle:
        table = csv.writer(handle)
        table.writerow(["item", "title", "genres"])
        table.writerows([f[0], f[1], f[3]] for f in (line.split("\t") for line in items[1:]))


@pytest.mark.parametrize("index", range(3), ids=["csv", "tsv_pair", "config_dir"])
def test_a_readme_line_runs_as_written(
    index: int, rows: list[list[str]], data_dir: Path, tmp_path: Path
) -> None:
    if "search_space=text" in LINES[index]:
        pytest.importorskip("sentence_transformers", reason='needs pip install "lgnas[text]"')
    write_files(tmp_path, rows, data_dir)
    words = shlex.split(LINES[index])
    assert words[:3] == ["python", "-m", "lgnas"]
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "LGNAS_DATA_DIR"}  # files are here
    env.update(PYTHONWARNINGS="ignore", HF_HUB_OFFLINE="1", LGNAS_CACHE_DIR=str(tmp_path))
    command = [sys.executable, *words[1:], *TINY, f"hydra.run.dir={run}"]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    trials = (run / "journal.jsonl").read_text().splitlines()[1:]
    assert len(trials) == 2 and (run / "final" / "found-1" / "model.pt").is_file()
    split = next(line for line in (run / "report.md").read_text().splitlines() if "Split:" in line)
    expected = {
        0: "Split: temporal (ratios [0.8, 0.1, 0.1]); nothing drawn at random.",
        1: "Split: the test set given; validation carved from train (valid_ratio 0.1) with "
        "dataset.split.seed=0 (the default, whatever the run's seed).",
        2: "Split: temporal (ratios [0.8, 0.1, 0.1]); nothing drawn at random.",
    }
    assert split == expected[index]
    if index == 1:  # the test rows of items the train file never names are counted
        assert "name a user or item never seen in train" in done.stderr + done.stdout
    if index == 2:  # the second CSV's texts of every item were encoded (and cached)
        items = len({r[1] for r in rows})
        assert len(list((tmp_path / "text").glob(f"all-MiniLM-L6-v2-{items}-*.npy"))) == 1
    # The verdict's "Train it again" line trains on the same data, as printed.
    again = next(line for line in done.stdout.splitlines() if line.startswith("Train it again: "))
    words = shlex.split(again.split(": ", 1)[1])
    retrain = tmp_path / "retrain"
    command = [sys.executable, *words[1:], *TINY[4:], f"hydra.run.dir={retrain}"]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    searched = yaml.safe_load((run / ".hydra" / "config.yaml").read_text())["dataset"]
    trained = yaml.safe_load((retrain / ".hydra" / "config.yaml").read_text())["dataset"]
    assert trained == searched and "test:" in done.stdout
