"""``-m hydra/sweeper=lgnas`` tunes any Hydra app with lgnas's strategies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra_plugins.lgnas_sweeper.space import job_overrides, sweep_space

from lgnas.errors import ConfigError
from lgnas.space import Categorical, Float, Integer

HERE = Path(__file__).resolve().parent
TOY_APP = HERE.parent / "example" / "toy_app.py"
SWEEPS = ["x=interval(-5,5)", "y=interval(-5,5)", "optimizer=choice(sgd,adam,rmsprop)"]


def _sweep(app: Path, tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, str(app), "-m", "hydra/sweeper=lgnas", f"hydra.sweep.dir={tmp_path}"]
        + list(overrides),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _results(tmp_path: Path) -> dict:
    return yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())


@pytest.mark.parametrize(
    "strategy",
    [
        ["hydra.sweeper.strategy.name=genetic"],
        ["hydra.sweeper.strategy.name=pso", "+hydra.sweeper.strategy.swarm_size=4"],
    ],
)
def test_sweeper_improves_on_the_toy_apps_starting_value(
    tmp_path: Path, strategy: list[str]
) -> None:
    sys.path.insert(0, str(TOY_APP.parent))
    try:
        from toy_app import loss
    finally:
        sys.path.pop(0)
    start = loss(4.0, -3.0, "sgd")  # example/conf/config.yaml
    done = _sweep(TOY_APP, tmp_path, *SWEEPS, "hydra.sweeper.trials=24", *strategy)
    assert done.returncode == 0, done.stderr[-3000:]
    results = _results(tmp_path)
    best = results["best_params"]
    assert results["trials"] == 24
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.isdigit()) == sorted(
        str(i) for i in range(24)
    )  # every job ran through Hydra's launcher, in its own job folder
    assert results["best_value"] == pytest.approx(loss(best["x"], best["y"], best["optimizer"]))
    assert results["best_value"] < start / 2


def test_failed_jobs_are_failed_trials_and_the_sweep_goes_on(tmp_path: Path) -> None:
    done = _sweep(
        HERE / "flaky_app.py",
        tmp_path,
        "+x=interval(-5,5)",
        "hydra.sweeper.trials=16",
        "hydra.sweeper.strategy.name=random",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    logged = done.stdout + done.stderr  # Hydra's logging config decides where warnings go
    assert "RuntimeError: diverged at x=" in logged
    assert "returned None, not a finite number" in logged
    results = _results(tmp_path)
    assert -3 <= results["best_params"]["x"] <= 3
    assert results["best_value"] == pytest.approx((results["best_params"]["x"] - 1) ** 2)


def test_sweeps_become_dimensions_and_other_overrides_are_kept() -> None:
    overrides = OverridesParser.create().parse_overrides(
        [
            "opt=choice(sgd,adam)",
            "layers=range(1,8,2)",
            "lr=tag(log,interval(1e-4,1e-1))",
            "width=int(interval(8,64))",
            "dropout=interval(0,0.5)",
            "epochs=3",
        ]
    )
    space, fixed = sweep_space(overrides)
    dims = space.dimensions
    assert fixed == ["epochs=3"]
    assert dims["opt"] == Categorical(name="opt", choices=("sgd", "adam"))
    assert dims["layers"] == Integer(name="layers", low=1, high=7, step=2)
    assert dims["lr"] == Float(name="lr", low=1e-4, high=1e-1, log=True)
    assert dims["width"] == Integer(name="width", low=8, high=64)
    assert dims["dropout"] == Float(name="dropout", low=0.0, high=0.5)
    point = {"opt": "adam", "layers": 3, "lr": 0.001, "width": 9, "dropout": 0.0}
    assert job_overrides(point) == [
        "opt='adam'",
        "layers=3",
        "lr=0.001",
        "width=9",
        "dropout=0.0",
    ]


def test_a_sweep_without_tunable_values_says_what_to_give() -> None:
    with pytest.raises(ConfigError, match=r"nothing to tune; give sweeps such as 'x=interval"):
        sweep_space(OverridesParser.create().parse_overrides(["epochs=3"]))
