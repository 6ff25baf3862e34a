"""Dataset configs (the ``dataset`` group of the Hydra config) to ready-to-train splits.

Config schema (a mapping; Hydra ``DictConfig`` works)::

    name: str                 # label for messages; default PyG dataset name for format pyg
    format: atomic | grouplens | lightgcn | csv | pyg | synthetic
    path: str                 # file or folder; relative paths are looked up under
                              # $LGNAS_DATA_DIR first, then the working directory.
                              # Omit for synthetic; for pyg it is the download root
                              # (default ~/.cache/lgnas/pyg/<name>).
    rating_threshold: float | null   # keep rating >= threshold (default null: keep all)
    click_threshold: float | null    # labelled impressions for task=ctr: rating >= it is a
                              # click, below it shown but not clicked (default null: none)
    kcore: int                # k-core on users and items, 0 = off (default 0)
    dedup: bool               # one row per (user, item), latest kept (default true)
    subsample:                # optional: keep a seeded uniform sample of users (default off)
      users: int              #   how many users with interactions to keep, all their rows
      seed: int               #   the draw's seed (default 0), independent of ``seed``
    split:                    # default {kind: predefined} when the format ships a test
      kind: random | temporal | leave_one_out | predefined | cold_items
                              #   set (lightgcn, pyg AmazonBook), else {kind: random}
      ...                     # that split function's keyword options, e.g.
                              #   random/temporal: ratios: [0.8, 0.1, 0.1]
                              #   predefined: valid_ratio: 0.1
                              #   cold_items: cold_fraction, temporal, warm_ratios
    item_features:            # optional item side features (lgnas.data.features)
      text: {template, encoder, cache_dir, batch_size, progress}   # frozen LM embeddings
      meta: {multi_hot, one_hot, year, year_bucket}                # categorical codes
    options: {...}            # the loader's keyword options, e.g.
                              #   csv: user_col, item_col, rating_col, timestamp_col, sep,
                              #        item_file, item_id_col, item_sep, encoding
                              #   atomic: user_field, item_field, rating_field, ...
                              #   pyg: name (MovieLens100K | AmazonBook)
                              #   synthetic: num_users, num_items, num_interactions,
                              #        num_communities, alpha, in_community, seed

Steps run in the order threshold, dedup, subsample, k-core, then ids are compacted
(users/items left without interactions are dropped) and the split is made with ``seed``. The
synthetic data itself is fixed by ``options.seed`` (default 0), so changing ``seed`` re-splits
the same data.

``subsample`` draws ``users`` of the users that still have interactions after threshold and
dedup, and keeps every row of theirs, in every part of a predefined split (a user kept in
train keeps their test rows too). It runs before k-core, so ``kcore`` then drops the items
(and users) the sample left rare; without k-core exactly ``users`` users remain, and items
none of them touched are dropped when ids are compacted. The draw depends on
``subsample.seed`` only, so one sample can be re-split with different ``seed`` values. More
users than the data has is refused (a config error), not silently capped.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lgnas.data.features import build_item_content
from lgnas.data.interactions import Interactions
from lgnas.data.loaders import (
    load_atomic,
    load_atomic_split,
    load_csv,
    load_grouplens_100k,
    load_lightgcn,
    load_pyg,
)
from lgnas.data.preprocess import (
    compact,
    dedup_rows,
    implicit_rows,
    kcore_rows,
    subsample_users_rows,
)
from lgnas.data.splits import (
    Split,
    split_cold_items,
    split_leave_one_out,
    split_predefined,
    split_random,
    split_temporal,
)
from lgnas.data.synthetic import generate_synthetic
from lgnas.errors import ConfigError

Loaded = tuple[Interactions, np.ndarray | None]


@dataclass(frozen=True)
class _Format:
    """How to call one loader: which parameter takes the path, and its default if any."""

    load: Callable[..., Interactions | Loaded]
    path_param: str | None
    default_path: Callable[[Mapping[str, Any]], Path] | None = None


FORMATS: dict[str, _Format] = {
    "atomic": _Format(load_atomic, "path"),
    "atomic_split": _Format(load_atomic_split, "path"),
    "grouplens": _Format(load_grouplens_100k, "path"),
    "lightgcn": _Format(load_lightgcn, "path"),
    "csv": _Format(load_csv, "path"),
    "pyg": _Format(
        load_pyg,
        "root",
        lambda cfg: Path.home() / ".cache" / "lgnas" / "pyg" / str(cfg["name"]),
    ),
    "synthetic": _Format(generate_synthetic, None),
}

SPLITS: dict[str, Callable[..., Split]] = {
    "random": split_random,
    "temporal": split_temporal,
    "leave_one_out": split_leave_one_out,
    "predefined": split_predefined,
    "cold_items": split_cold_items,
}

_KEYS = (
    "name", "format", "path", "rating_threshold", "kcore", "dedup", "subsample", "split",
    "options", "item_features", "click_threshold",
)  # fmt: skip
_SUBSAMPLE_KEYS = ("users", "seed")
_SPLIT_PROVIDED = ("data", "seed", "parts")


def prepare_dataset(cfg: Mapping[str, Any], seed: int) -> Split:
    """Load, filter, compact and split the dataset a config describes (schema above)."""
    cfg = _plain(cfg)
    name = cfg.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"dataset config needs a non-empty string 'name'; got {name!r}.")
    where = f"dataset {name!r}"
    _check_keys(cfg, _KEYS, where)
    subsample = _subsample(cfg, where)
    data, parts = _load(cfg, where)

    threshold = cfg.get("rating_threshold")
    if threshold is not None and not _is_number(threshold):
        raise ConfigError(f"{where}: rating_threshold={threshold!r} must be a number or null.")
    clicks = cfg.get("click_threshold")
    if clicks is not None and (not _is_number(clicks) or data.rating is None):
        raise ConfigError(
            f"{where}: click_threshold={clicks!r} must be a number and the data needs a "
            "rating (or 0/1 label) column to compare with it; set it to null otherwise."
        )
    k = cfg.get("kcore", 0)
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ConfigError(f"{where}: kcore={k!r} must be an integer >= 0 (0 turns it off).")
    dedup = cfg.get("dedup", True)
    if not isinstance(dedup, bool):
        raise ConfigError(f"{where}: dedup={dedup!r} must be true or false.")

    data, parts = _keep(data, parts, implicit_rows(data, threshold))
    if dedup:
        data, parts = _keep(data, parts, dedup_rows(data))
    if subsample is not None:
        users, draw_seed = subsample
        available = len(np.unique(data.user))
        if users > available:
            raise ConfigError(
                f"{where}: dataset.subsample.users={users} is more than the {available} users "
                "with interactions (after rating_threshold and dedup); lower it or remove "
                "'subsample' to keep them all."
            )
        data, parts = _keep(data, parts, subsample_users_rows(data, users, draw_seed))
    if k:
        data, parts = _keep(data, parts, kcore_rows(data, k, k))
    data = compact(data)
    split = _split(data, parts, cfg, seed, where)
    if clicks is not None:
        split = dataclasses.replace(split, click_threshold=float(clicks))
    features = _section(cfg, "item_features", where)
    if features:
        split = dataclasses.replace(split, item_content=build_item_content(data, features))
    return split


def _subsample(cfg: Mapping[str, Any], where: str) -> tuple[int, int] | None:
    """``(users, seed)`` of the ``subsample`` section, or None when it is absent."""
    if cfg.get("subsample") is None:
        return None
    options = _section(cfg, "subsample", where)
    _check_keys(options, _SUBSAMPLE_KEYS, f"{where}: dataset.subsample")
    users, seed = options.get("users"), options.get("seed", 0)
    if not _is_int(users) or users < 1:
        raise ConfigError(
            f"{where}: dataset.subsample.users={users!r} must be a positive integer (how "
            "many users to keep)."
        )
    if not _is_int(seed) or seed < 0:
        raise ConfigError(f"{where}: dataset.subsample.seed={seed!r} must be an integer >= 0.")
    return users, seed


def _load(cfg: dict[str, Any], where: str) -> Loaded:
    kind = cfg.get("format")
    fmt = _lookup(FORMATS, kind, f"{where}: format")
    options = _section(cfg, "options", where)
    if kind == "pyg":
        options.setdefault("name", cfg["name"])
    provided = (fmt.path_param,) if fmt.path_param else ()
    _check_call(fmt.load, options, provided, f"{where}: options for format {kind!r}")
    if fmt.path_param is None:
        if cfg.get("path") is not None:
            raise ConfigError(f"{where}: format {kind!r} reads no files; remove 'path'.")
    elif cfg.get("path") is not None:
        options[fmt.path_param] = _resolve(str(cfg["path"]))
    elif fmt.default_path is not None:
        options[fmt.path_param] = fmt.default_path(cfg)
    else:
        raise ConfigError(f"{where}: format {kind!r} needs 'path' (a file or folder).")
    loaded = fmt.load(**options)
    return loaded if isinstance(loaded, tuple) else (loaded, None)


def _split(
    data: Interactions, parts: np.ndarray | None, cfg: dict[str, Any], seed: int, where: str
) -> Split:
    if isinstance(cfg.get("split"), str):
        cfg = {**cfg, "split": {"kind": cfg["split"]}}
    options = _section(cfg, "split", where)
    kind = options.pop("kind", "predefined" if parts is not None else "random")
    split = _lookup(SPLITS, kind, f"{where}: split kind")
    _check_call(split, options, _SPLIT_PROVIDED, f"{where}: options for split {kind!r}")
    params = inspect.signature(split).parameters
    if "parts" in params:
        if parts is None:
            raise ConfigError(
                f"{where}: split kind {kind!r} needs a format with a published test set "
                f"(lightgcn, atomic_split, or pyg AmazonBook); format {cfg.get('format')!r} "
                "has none."
            )
        options["parts"] = parts
    if "seed" in params:
        options["seed"] = seed
    return split(data, **options)


def _section(cfg: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    """A nested mapping of the config as a fresh dict (empty when absent)."""
    value = cfg.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {key!r} must be a mapping; got {value!r}.")
    return dict(value)


def _lookup(registry: Mapping[str, Any], key: Any, what: str) -> Any:
    if key not in registry:
        raise ConfigError(f"{what} {key!r} is unknown; valid: {sorted(registry)}.")
    return registry[key]


def _check_keys(cfg: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(cfg) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys: {list(allowed)}.")


def _check_call(
    func: Callable[..., Any], options: Mapping[str, Any], provided: tuple[str, ...], where: str
) -> None:
    """Unknown option keys and missing required ones, reported before anything runs.

    ``provided`` are parameters the catalog fills itself, so they are not options.
    """
    params = inspect.signature(func).parameters
    settable = [p for p in params if p not in provided]
    unknown = sorted(set(options) - set(settable))
    if unknown:
        raise ConfigError(f"{where}: unknown option(s) {unknown}; valid options: {settable}.")
    missing = [
        p for p in settable if params[p].default is inspect.Parameter.empty and p not in options
    ]
    if missing:
        raise ConfigError(f"{where}: missing required option(s) {missing}.")


def _keep(data: Interactions, parts: np.ndarray | None, rows: np.ndarray) -> Loaded:
    """Filtered data with the predefined split labels kept aligned."""
    return data.subset(rows), None if parts is None else parts[rows]


def _resolve(path: str) -> Path:
    """Relative paths are looked up under $LGNAS_DATA_DIR, then the working directory."""
    candidate = Path(path).expanduser()
    data_dir = os.environ.get("LGNAS_DATA_DIR")
    if not candidate.is_absolute() and data_dir:
        under = Path(data_dir).expanduser() / candidate
        if under.exists():
            return under
    return candidate


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """Mappings and lists (including OmegaConf containers) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(item) for item in value]
    return value
