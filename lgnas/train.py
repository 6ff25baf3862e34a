"""``python -m lgnas.train model=lightgcn dataset=ml100k``: train and evaluate one architecture.

Trains the model on the training split, early-stops on the validation metric, restores the
best weights and evaluates once on test (:func:`lgnas.training.fit`, the path baselines and
the search's trials share).
"""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from lgnas.config import config_dir, removed_if_unused
from lgnas.errors import LgnasError
from lgnas.training.job import TrainJob, run_training


@hydra.main(config_path=config_dir(), config_name="train", version_base=None)
def main(cfg: DictConfig) -> float:
    """Hydra entry point; returns the validation objective so sweepers can use it."""
    output_dir = Path(hydra.core.hydra_config.HydraConfig.get().runtime.output_dir)
    try:
        with removed_if_unused(output_dir):
            job = TrainJob.from_config(OmegaConf.to_container(cfg, resolve=True))
            result = run_training(job, output_dir)
    except LgnasError as error:  # bad input: one clear line, no traceback
        sys.exit(f"lgnas.train: error: {error}")
    print(f"validation: {_summary(result.valid)}")
    print(f"test:       {_summary(result.test)}")
    print(f"outputs in {output_dir}")
    return result.valid[f"val/{job.train.eval.monitor}"]


def _summary(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k.split('/')[-1]}={v:.4f}" for k, v in sorted(metrics.items()))


if __name__ == "__main__":
    main()
