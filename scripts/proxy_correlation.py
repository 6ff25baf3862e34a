"""Does a sampled subgraph rank architectures as the full graph does? Rank correlations.

    LGNAS_DATA_DIR=../shared/data python scripts/proxy_correlation.py --architectures 20 \
        --proxy gowalla_small --full gowalla --epochs 3 --proxy-epochs 3 15 \
        -- search_space=lightgcn_family

Draws ``--architectures`` distinct points of the search space (seeded), trains each as a
search trial on the proxy dataset for each of ``--proxy-epochs`` and on the full dataset for
``--epochs`` epochs (validation objective, full ranking; the test split is never read), and
prints Spearman's and Kendall's rank correlations between proxy and full scores, and how many
of the full graph's top 5 the proxy's top 5 hold. Each trial is written to ``--out`` as a JSON
line when it ends, so an interrupted run resumes without training anything again; ``--part
i/n`` trains every n-th architecture from the i-th, so n processes share the work (run once
more without ``--part`` to print the table). Before each architecture the file is read again,
so a second process with ``--reverse`` takes a part's work from its other end; they meet in
the middle.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from lgnas.config import config_dir
from lgnas.data.catalog import prepare_dataset
from lgnas.search.evaluator import TrialEvaluator
from lgnas.search.settings import SearchJob
from lgnas.space import SearchSpace

DEFAULTS = ["+strategy=random", "threads=1", "search.trial_seconds=null", "trainer.logger=false"]


def ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1, ties sharing their mean rank."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    result = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            result[order[start:end]] = (start + end + 1) / 2
            start = end
    return result


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's correlation of the ranks."""
    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def kendall(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b."""
    concordant = discordant = ties_x = ties_y = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        if dx == 0 and dy == 0:
            continue
        if dx == 0:
            ties_x += 1
        elif dy == 0:
            ties_y += 1
        elif dx == dy:
            concordant += 1
        else:
            discordant += 1
    pairs = concordant + discordant
    return (concordant - discordant) / math.sqrt((pairs + ties_x) * (pairs + ties_y))


def job_for(dataset: str, seed: int, overrides: list[str]) -> SearchJob:
    cfg = compose("config", overrides=[f"dataset={dataset}", f"seed={seed}", *DEFAULTS, *overrides])
    return SearchJob.from_config(OmegaConf.to_container(cfg, resolve=True))


def recorded(path: Path) -> dict[tuple[str, int, str], dict]:
    """The trials already in ``path``, by (dataset, epochs, key)."""
    if not path.is_file():
        return {}
    records = (json.loads(line) for line in path.read_text().splitlines())
    return {(r["dataset"], r["epochs"], r["key"]): r for r in records}


def draw(space: SearchSpace, count: int, seed: int) -> list[dict]:
    """``count`` distinct points, in the order drawn."""
    rng, points, keys = np.random.default_rng(seed), [], set()
    for _ in range(count * 100):
        point = space.sample(rng)
        if space.key(point) not in keys:
            keys.add(space.key(point))
            points.append(point)
        if len(points) == count:
            return points
    raise SystemExit(f"the space holds fewer than {count} distinct points")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architectures", type=int, default=20)
    parser.add_argument("--proxy", default="gowalla_small")
    parser.add_argument("--full", default="gowalla")
    parser.add_argument("--epochs", type=int, default=3, help="full-graph epochs per trial")
    parser.add_argument("--proxy-epochs", type=int, nargs="+", default=[3, 15])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", default="0/1", help="i/n: every n-th architecture from i")
    parser.add_argument("--reverse", action="store_true", help="a part's architectures last first")
    parser.add_argument("--out", type=Path, default=Path("outputs/proxy_correlation.jsonl"))
    parser.add_argument("overrides", nargs="*", help="Hydra overrides for both datasets")
    args = parser.parse_args()
    part, parts = map(int, args.part.split("/"))
    done = recorded(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with initialize_config_dir(config_dir(), version_base=None):
        jobs = {name: job_for(name, args.seed, args.overrides) for name in (args.proxy, args.full)}
    space = SearchSpace.from_dict(dict(jobs[args.full].space))
    points = draw(space, args.architectures, args.seed)
    runs = [(args.proxy, epochs) for epochs in args.proxy_epochs] + [(args.full, args.epochs)]
    for dataset, epochs in runs:
        job = jobs[dataset]
        todo = [
            p for n, p in enumerate(points)
            if n % parts == part and (dataset, epochs, space.key(p)) not in done
        ]  # fmt: skip
        if args.reverse:
            todo.reverse()
        if not todo:
            continue
        split = prepare_dataset(job.dataset, seed=job.train.seed)
        evaluate = TrialEvaluator(job.optim, job.trial_settings, split, job.search.objective)
        for point in todo:
            done.update(recorded(args.out))  # another process may have trained it since
            if (dataset, epochs, space.key(point)) in done:
                continue
            result = evaluate(point, fidelity=epochs)
            record = {
                "dataset": dataset,
                "epochs": epochs,
                "key": space.key(point),
                "objective": result.objective if result.ok else None,
                "error": result.error,
                "cost": result.cost,
            }
            with args.out.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            done[(dataset, epochs, record["key"])] = record
            print(f"{dataset} {epochs} ep: {result.objective} {record['key']}", flush=True)
    if parts > 1:
        return
    full = [done.get((args.full, args.epochs, space.key(p)), {}).get("objective") for p in points]
    print(f"\n{len(points)} architectures; full: {args.full} at {args.epochs} epochs")
    print("| proxy | epochs | pairs | Spearman | Kendall | full top-5 in proxy top-5 |")
    print("|---|---|---|---|---|---|")
    for epochs in args.proxy_epochs:
        proxy = [done.get((args.proxy, epochs, space.key(p)), {}).get("objective") for p in points]
        both = [(a, b) for a, b in zip(proxy, full) if a is not None and b is not None]
        if len(both) < 3:
            continue
        x, y = zip(*both)
        top = set(np.argsort(y)[-5:]) & set(np.argsort(x)[-5:])
        print(
            f"| {args.proxy} | {epochs} | {len(both)} | {spearman(x, y):.3f} "
            f"| {kendall(x, y):.3f} | {len(top)} |"
        )


if __name__ == "__main__":
    main()
