"""The proxy a large-graph search screens candidates on: a seeded sample of its users.

Training on Gowalla costs minutes an epoch on a laptop CPU; a sample of a few thousand users
with all their interactions costs seconds, and ranks architectures much as the full graph
does (BENCHMARKS.md, "Proxy screening"). With ``search.proxy_users`` set, each bracket of
the multi-fidelity scheduler first trains ``eta`` times its candidates on the proxy and moves
the best to the full graph (:mod:`lgnas.search.scheduler`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lgnas.data.catalog import prepare_dataset
from lgnas.data.splits import Split
from lgnas.errors import ConfigError

PROXY_SEED = 0
"""The users' draw: fixed, so every seed of a search screens on the same proxy, as every
seed trains on the same full graph."""


def proxy_dataset(dataset: Mapping[str, Any], users: int, kcore: int) -> dict[str, Any]:
    """The dataset config of the proxy: ``dataset`` with a seeded sample of ``users`` users
    (all their interactions) in place of any ``subsample``, then a ``kcore``-core (at least
    the dataset's own), which drops the items the sample left too rare to learn.

    Raises:
        ConfigError: ``users`` is not below the dataset's own sample of users.
    """
    config = dict(dataset)
    own = (config.get("subsample") or {}).get("users")
    if own is not None and users >= own:
        raise ConfigError(
            f"search.proxy_users={users} is not below the {own} users of dataset "
            f"{config.get('name')!r} (dataset.subsample.users); a proxy must be smaller: "
            "lower search.proxy_users, or set it to null"
        )
    config["name"] = f"{config.get('name')}-proxy"
    config["subsample"] = {"users": users, "seed": PROXY_SEED}
    config["kcore"] = max(kcore, int(config.get("kcore") or 0))
    return config


def prepare_proxy(dataset: Mapping[str, Any], users: int, kcore: int, seed: int) -> Split:
    """The proxy's split (validation carved as the dataset's, test never read).

    Raises:
        ConfigError: ``users`` is not below the users the dataset has.
    """
    try:
        return prepare_dataset(proxy_dataset(dataset, users, kcore), seed=seed)
    except ConfigError as error:
        if "subsample.users" not in str(error):
            raise
        raise ConfigError(
            f"search.proxy_users={users} is more than dataset {dataset.get('name')!r} has; "
            f"lower it, or set it to null ({error})"
        ) from error


def proxy_share(proxy: Split, full: Split) -> float:
    """A proxy epoch's work in full-graph epochs: their training interactions' ratio."""
    return min(1.0, len(proxy.train) / max(1, len(full.train)))
