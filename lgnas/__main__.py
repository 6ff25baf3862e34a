"""``python -m lgnas +strategy=genetic``: search GNN recommender architectures (Hydra)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from omegaconf import DictConfig, OmegaConf

from lgnas.config import config_dir, removed_if_unused
from lgnas.errors import LgnasError

if TYPE_CHECKING:
    from lgnas.search.run import SearchRun


def _no_strategy_message() -> str:
    from lgnas.strategies.registry import available

    names = ", ".join(sorted(available()))
    return (
        "lgnas: choose a search strategy, e.g. `python -m lgnas +strategy=genetic`.\n"
        f"Available strategies: {names}. List them with `python -m lgnas.strategies`."
    )


@hydra.main(config_path=config_dir(), config_name="config", version_base=None)
def main(cfg: DictConfig) -> float | None:
    """Run the search; returns the best validation objective (for Hydra sweepers)."""
    output_dir = Path(hydra.core.hydra_config.HydraConfig.get().runtime.output_dir)
    with removed_if_unused(output_dir):
        run = _search(cfg, output_dir)
    # The short verdict (it names report.md, which holds the long tables, and what to run next).
    print("\n".join(run.verdict))
    best = run.outcome.best
    return best[1].objective if best else None


def _search(cfg: DictConfig, output_dir: Path) -> SearchRun:
    """The search the config describes; bad input ends the process with one clear line."""
    if cfg.get("strategy") is None:
        sys.exit(_no_strategy_message())
    from lgnas.search.run import search
    from lgnas.search.settings import SearchJob

    try:
        job = SearchJob.from_config(OmegaConf.to_container(cfg, resolve=True))
        return search(job, output_dir)
    except LgnasError as error:
        sys.exit(f"lgnas: error: {error}")


if __name__ == "__main__":
    from lgnas.strategies.hydra_configs import register_strategy_configs

    register_strategy_configs()
    main()
