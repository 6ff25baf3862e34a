"""``--help`` of each command: its own page, on stdout, exit status 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (
            "lgnas",
            [
                "usage: python -m lgnas +strategy=<name>",
                "strategy: annealing, genetic",  # the groups, plugins' strategies included
                "search_space: ",
                "default, lightgcn_family",  # the shipped spaces, sorted
                "python -m lgnas -m +strategy=genetic,random seed=0,1,2",
                "$LGNAS_DATA_DIR",
            ],
        ),
        (
            "lgnas.train",
            # the model presets, sorted
            [
                "usage: python -m lgnas.train",
                "model: blend, bspm, bspm_rk4, custom, file",
                "lightgcn",
            ],
        ),
        ("lgnas.recommend", ["usage: python -m lgnas.recommend run=<run dir>", "exclude="]),
    ],
)
def test_help_describes_the_command_and_exits_0(
    module: str, expected: list[str], tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for text in expected:
        assert text in done.stdout
    assert "Powered by Hydra" not in done.stdout  # Hydra's generic page is --hydra-help
    assert not list(tmp_path.iterdir())  # help writes no run folder
