"""A Hydra app whose jobs fail for some values: the sweeper must record them and go on."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig


@hydra.main(config_path=None, config_name=None, version_base=None)
def main(cfg: DictConfig) -> float | None:
    if cfg.x > 3:
        raise RuntimeError(f"diverged at x={cfg.x}")
    return None if cfg.x < -3 else (cfg.x - 1) ** 2


if __name__ == "__main__":
    main()
