"""The vectorised synthetic generator makes exactly the data the generator before it made.

Searches, their shipped journals (``tests/search/data/tiny_genetic_seed0.jsonl``) and the
seeded tests rest on the synthetic data, so its speed-up must not change a single value. The
digests below were computed with the generator as it was before (commit 5fceeed), one per
path it can take: skewed draws only, a saturated small space topped up from its enumerated
complement, and a large one topped up by uniform draws.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest

from lgnas.data import prepare_dataset
from lgnas.data.interactions import Interactions
from lgnas.data.synthetic import generate_synthetic

DEFAULT_DATASET_DIGEST = "63baf2eae1702fa080eeb355a49caca49b942f59e64b29829692c5bd722fdf70"
"""``prepare_dataset`` of ``conf/dataset/synthetic.yaml`` with seed 0 (the three parts)."""

GENERATED_DIGESTS: list[tuple[dict[str, Any], str]] = [
    (  # skewed draws only
        dict(num_users=500, num_items=800, num_interactions=20_000),
        "7cda096313ba9c5ce71def893de816b72438168135773ea311e79879312e5d84",
    ),
    (  # saturated: topped up from the enumerated complement
        dict(num_users=50, num_items=40, num_interactions=1900, seed=1),
        "a2c2c430a02a081c35c7feb3afb2c78575a45df470e85a23d92d4f49cf83496a",
    ),
    (  # saturated: topped up by uniform draws
        dict(num_users=6000, num_items=4000, num_interactions=300_000, alpha=2.5),
        "256c4473faa85d8836a3e162dbd5e631cefb13e02538b8e9c2e45e2b9b655a68",
    ),
    (  # every draw inside the user's community
        dict(num_users=7, num_items=9, num_interactions=30, num_communities=7, in_community=1.0),
        "7bf298019980521fdd6168db3da535cb6bb5bfea532c7fe833bb37c7d17d9fcb",
    ),
]


def digest(parts: Iterable[Interactions]) -> str:
    """SHA-256 over every column of every part: ids, timestamps, id maps, item features."""
    hashed = hashlib.sha256()
    for part in parts:
        features = part.item_features or {}
        columns = [part.user, part.item, part.rating, part.timestamp, part.user_ids]
        for column in [*columns, part.item_ids, *(features[k] for k in sorted(features))]:
            if column is None:
                hashed.update(b"absent")
                continue
            array = np.ascontiguousarray(column)
            hashed.update(f"{array.dtype.str}{array.shape}".encode())
            hashed.update(array.tobytes())
    return hashed.hexdigest()


def test_the_default_synthetic_dataset_is_unchanged(compose_config) -> None:
    config = compose_config("train", "dataset=synthetic")["dataset"]
    split = prepare_dataset(config, seed=0)
    assert (len(split.train), len(split.valid), len(split.test)) == (16_438, 1_781, 1_781)
    assert digest([split.train, split.valid, split.test]) == DEFAULT_DATASET_DIGEST


@pytest.mark.parametrize(("options", "expected"), GENERATED_DIGESTS)
def test_seeded_generation_is_unchanged(options: dict[str, Any], expected: str) -> None:
    assert digest([generate_synthetic(**options)]) == expected
