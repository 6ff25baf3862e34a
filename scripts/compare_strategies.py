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
from lgnas.report.compare import summarise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("multirun", type=Path, help="sweep directory holding the search runs")
    parser.add_argument("--out", type=Path, help="where to write the table and plot")
    args = parser.parse_args(argv)
    try:
        lines = summarise(args.multirun, args.out)
    except LgnasError as error:
        sys.exit(f"compare_strategies: error: {error}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
