"""Compare search strategies over seeds from a Hydra multirun of real searches.

    python -m lgnas -m +strategy=genetic,random seed=0,1,2      # the searches
    python scripts/compare_strategies.py multirun/search/ml100k  # this summary

Prints (and writes next to the runs, or into ``--out``) a table of mean ± std over seeds per
strategy of the best validation objective, the best found architecture's final test metrics
and the trial time (``strategies.md``, ``strategies.csv``), and one plot of the best
objective so far against trials (``strategies.png``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lgnas.errors import LgnasError
from lgnas.report.compare import collect_runs, markdown_table, strategy_table, write_csv
from lgnas.report.plots import plot_strategy_progress


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("multirun", type=Path, help="sweep directory holding the search runs")
    parser.add_argument("--out", type=Path, help="where to write the table and plot")
    args = parser.parse_args(argv)
    try:
        runs = collect_runs(args.multirun)
    except LgnasError as error:
        sys.exit(f"compare_strategies: error: {error}")
    out = args.out or args.multirun
    out.mkdir(parents=True, exist_ok=True)
    rows = strategy_table(runs)
    table = markdown_table(rows)
    (out / "strategies.md").write_text(f"{len(runs)} runs under {args.multirun}\n\n{table}\n")
    write_csv(rows, out / "strategies.csv")
    plot_strategy_progress(runs, out / "strategies.png")
    print(table)
    print(f"\nwritten: {out / 'strategies.md'}, strategies.csv, strategies.png")


if __name__ == "__main__":
    main()
