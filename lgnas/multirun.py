"""The Hydra door at the end of a multirun: ``python -m lgnas -m ... seed=0,1,2`` ends with the
runs compared over seeds (``strategies.md`` in the sweep directory, and the gain lines)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from lgnas.errors import LgnasError

logger = logging.getLogger(__name__)


class SeedSummary(Callback):
    """Summarise a finished sweep: per strategy (and other overrides), mean ± std over seeds
    of the best found model's test metrics and of its gain over the best baseline."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from lgnas.report.compare import summarise

        sweep = Path(config.hydra.sweep.dir)
        try:
            lines = summarise(sweep)
        except LgnasError as error:  # e.g. every job failed before its journal: nothing to add
            logger.warning("no summary over seeds: %s", error)
            return
        print("\n".join(lines))
