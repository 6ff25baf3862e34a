"""A toy Hydra app to tune: its return value is the loss the sweeper minimises.

    python plugins/hydra-lgnas-sweeper/example/toy_app.py -m hydra/sweeper=lgnas \
        'x=interval(-5,5)' 'y=interval(-5,5)' 'optimizer=choice(sgd,adam,rmsprop)' \
        hydra.sweeper.strategy.name=genetic hydra.sweeper.trials=40
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

PENALTY = {"sgd": 1.0, "rmsprop": 0.5, "adam": 0.0}


def loss(x: float, y: float, optimizer: str) -> float:
    """Smallest (0) at x = 1, y = -2 with adam."""
    return (x - 1.0) ** 2 + (y + 2.0) ** 2 + PENALTY[optimizer]


@hydra.main(config_path="conf", config_name="config", version_base=None)
def main(cfg: DictConfig) -> float:
    return loss(cfg.x, cfg.y, cfg.optimizer)


if __name__ == "__main__":
    main()
