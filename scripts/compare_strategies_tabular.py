"""How fast each strategy finds a top architecture, on a tabular benchmark, over many seeds.

    python scripts/compare_strategies_tabular.py --table benchmarks/tiny-ml100k.jsonl \
        --space tiny --seeds 20 --budget 150
    python scripts/compare_strategies_tabular.py --strategies random genetic optuna_tpe \
        nevergrad:optimizer=TwoPointsDE          # NAME:KEY=VALUE,... sets strategy options

For every registered strategy and seed the real search loop runs against the stored table
(no training). Reported: the median number of trials until a top-``--top`` fraction
architecture is found (searches that never find one count as budget + 1), and its ratio to
random search's median, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.search.journal import Journal
from lgnas.search.loop import Budget, run_search
from lgnas.search.tabular import TabularEvaluator
from lgnas.space import SearchSpace
from lgnas.strategies.registry import available, make_strategy


def strategy_defaults(name: str) -> dict:
    """The options of ``conf/strategy/<name>.yaml`` (none for strategies without one)."""
    path = Path(config_dir()) / "strategy" / f"{name}.yaml"
    if not path.is_file():
        return {}
    options = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    options.pop("name", None)
    return options


def parse_spec(spec: str) -> tuple[str, dict]:
    """``NAME`` or ``NAME:KEY=VALUE,...`` (values read as YAML) -> name and options."""
    name, _, assignments = spec.partition(":")
    options = {}
    for assignment in filter(None, assignments.split(",")):
        key, sep, value = assignment.partition("=")
        if not sep:
            raise SystemExit(
                f"--strategies {spec!r}: expected NAME:KEY=VALUE,..., got {assignment!r}"
            )
        options[key] = yaml.safe_load(value)
    return name, options


def trials_to_target(
    spec: str,
    space: SearchSpace,
    table: TabularEvaluator,
    seed: int,
    budget: int,
    target: float,
    folder: Path,
) -> int:
    """Trials the strategy needs to first reach ``target``; ``budget + 1`` if it never does."""
    name, options = parse_spec(spec)
    options = {**strategy_defaults(name), **options}
    strategy = make_strategy(name, space, seed=seed, **options)
    journal = Journal(folder / f"{spec}-{seed}.jsonl", {"strategy": spec, "seed": seed})
    outcome = run_search(strategy, space, table, journal, Budget(trials=budget))
    for number, (_, result) in enumerate(outcome.trials, 1):
        if result.ok and result.objective >= target:
            return number
    return budget + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", type=Path, default=Path("benchmarks/tiny-ml100k.jsonl"))
    parser.add_argument("--space", default="tiny")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--top", type=float, default=0.01, help="target: best fraction")
    parser.add_argument("--strategies", nargs="*", default=None)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    with initialize_config_dir(config_dir(), version_base=None):
        cfg = compose("config", overrides=[f"search_space={args.space}"])
    space = SearchSpace.from_dict(OmegaConf.to_container(cfg.search_space, resolve=True))
    table = TabularEvaluator(args.table, space)
    ranking = table.ranking()
    target = ranking[max(1, math.ceil(args.top * len(ranking))) - 1]
    names = args.strategies or sorted(available())
    results: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            results[name] = [
                trials_to_target(name, space, table, seed, args.budget, target, Path(folder))
                for seed in range(args.seeds)
            ]
    random_median = statistics.median(results["random"]) if "random" in results else math.nan
    print(
        f"{len(ranking)} architectures; target: top {args.top:.0%} (objective >= {target:.4f}); "
        f"{args.seeds} seeds, budget {args.budget} trials"
    )
    width = max(12, *map(len, results))
    print(f"{'strategy':{width}} {'median':>7} {'vs random':>9} {'found':>6}")
    for name, counts in results.items():
        median = statistics.median(counts)
        found = sum(c <= args.budget for c in counts)
        print(
            f"{name:{width}} {median:7.1f} {median / random_median:9.2f} {found:3d}/{len(counts)}"
        )
    if args.out:
        args.out.write_text(json.dumps({"target": target, "results": results}, indent=1))


if __name__ == "__main__":
    main()
