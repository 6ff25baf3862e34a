"""A synthetic journal whose answer is known: ``op`` drives the objective, nothing else does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

OP_EFFECT = {"lightgcn": 0.30, "gcn": 0.20, "ngcf": 0.10}


def write_journal(path: Path, trials: int = 60, seed: int = 0) -> Path:
    """A journal of a random search in which only ``op`` changes the objective (plus noise).

    ``dim`` sets the parameter count (so the Pareto front is known too); ``lr`` is a
    continuous dimension; ``act`` is per layer with 1-2 layers; trial 3 failed.
    """
    rng = np.random.default_rng(seed)
    lines = [json.dumps({"type": "header", "seed": seed})]
    for i in range(trials):
        layers = int(rng.integers(1, 3))
        point = {
            "op": str(rng.choice(list(OP_EFFECT))),
            "dim": int(rng.choice([16, 32, 64])),
            "lr": float(10 ** rng.uniform(-4, -2)),
            "act": [str(rng.choice(["relu", "tanh"])) for _ in range(layers)],
        }
        objective = OP_EFFECT[point["op"]] + float(rng.normal(0, 0.01))
        failed = i == 3
        lines.append(json.dumps({
            "type": "trial", "id": i, "key": str(i), "point": point,
            "objective": None if failed else objective, "status": "failed" if failed else "ok",
            "metrics": {}, "error": "boom" if failed else None, "fidelity": 2,
            "cost": {"parameters": point["dim"] * 1000, "seconds": 1.0 + i % 3},
            "wall_seconds": 1.5 + i % 3,
        }))  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def make_journal():
    """:func:`write_journal`, for tests that need their own journal."""
    return write_journal


@pytest.fixture
def op_effect() -> dict[str, float]:
    """The objective's mean per ``op`` in :func:`write_journal`'s journals."""
    return OP_EFFECT


@pytest.fixture
def synthetic_run(tmp_path: Path) -> Path:
    """A run directory holding the synthetic journal and a one-line report.md."""
    write_journal(tmp_path / "journal.jsonl")
    (tmp_path / "report.md").write_text("# a search\n")
    return tmp_path
