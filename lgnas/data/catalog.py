"""Dataset configs (the ``dataset`` group of the Hydra config) to ready-to-train splits.

Config schema (a mapping; Hydra ``DictConfig`` works)::

    name: str                 # label for messages; default PyG dataset name for format pyg
    format: atomic | atomic_split | grouplens | lightgcn | csv | pyg | synthetic
    path: str                 # file or folder; relative paths are looked up under
                              # $LGNAS_DATA_DIR first, then the working directory.
                              # Omit for synthetic; for pyg it is the download root
                              # (default ~/.cache/lgnas/pyg/<name>).
    train: str                # csv only, instead of path: a split already made, as
    valid: str                #   files in one format (valid optional; without it
    test: str                 #   validation is carved from train); looked up as path
    unseen: drop | keep       # published splits: validation/test rows whose user or item
                              #   has no train row (in the files as loaded), dropped
                              #   (default) or kept; counted in one log line either way
    fetch: {url, sha256, convert}   # optional: when ``path`` does not exist, download this
                              # archive into ~/.cache/lgnas/data ($LGNAS_CACHE_DIR/data),
                              # check its SHA-256, convert it and read it there
                              # (lgnas.data.fetch; ml100k: GroupLens's ml-100k.zip)
    rating_threshold: float | null   # keep rating >= threshold (default null: keep all)
    click_threshold: float | null    # labelled impressions for task=ctr: rating >= it is a
                              # click, below it shown but not clicked (default null: none)
    sampled_non_clicks:       # optional, for click-only data (lgnas.data.non_clicks): every
      per_click: int          #   row a click plus this many drawn unobserved items per row
      seed: int               #   as non-clicks (task=ctr; the draw's seed, default 0)
    kcore: int                # k-core on users and items, 0 = off (default 0)
    dedup: last | first | max | false   # one row per (user, item): the latest (by
                              #   timestamp, else file order), the earliest, or the
                              #   highest rating (ties: latest); false keeps repeats.
                              #   Default last; true means last. Merges are logged.
    subsample:                # optional: keep a seeded uniform sample of users (default off)
      users: int              #   how many users with interactions to keep, all their rows
      seed: int               #   the draw's seed (default 0), independent of ``seed``
    split:                    # default {kind: predefined} when the format ships a test
      kind: random | temporal | leave_one_out | predefined | cold_items
                              #   set (lightgcn, atomic_split, csv train/test, pyg
                              #   AmazonBook), else {kind: random}
      seed: int               #   the seed of what the split draws at random; default 0
                              #   for validation carved from a predefined train set (so
                              #   multi-seed studies vary the model, not the data), the
                              #   run's ``seed`` for the other kinds
      ...                     # that split function's keyword options, e.g.
                              #   random/temporal: ratios: [0.8, 0.1, 0.1]
                              #   predefined: valid_ratio: 0.1
                              #   cold_items: cold_fraction, temporal, warm_ratios
                              # a null option means its default
    item_features:            # optional item side features (lgnas.data.features)
      text: {template, encoder, cache_dir, batch_size, progress}   # frozen LM embeddings
      meta: {multi_hot, one_hot, year, year_bucket}                # categorical codes
    options: {...}            # the loader's keyword options, e.g.
                              #   csv: columns ({user: 0, item: 1, rating: 2} by position,
                              #        or by header name), header, sep (a character, or
                              #        tab | comma | semicolon | pipe | space | whitespace),
                              #        item_file, item_id_col, item_sep, encoding
                              #   atomic: user_field, item_field, rating_field, ...
                              #   pyg: name (MovieLens100K | AmazonBook)
                              #   synthetic: num_users, num_items, num_interactions,
                              #        num_communities, alpha, in_community, seed

Steps run in the order unseen, threshold, dedup, subsample, k-core, then ids are compacted
(users/items left without interactions are dropped), non-clicks are drawn (each takes its
click's part of a predefined split) and the split is made (with ``seed``
unless ``split.seed`` says otherwise). The synthetic data itself is fixed by ``options.seed``
(default 0), so changing ``seed`` re-splits the same data.

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
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lgnas.config import cache_dir
from lgnas.data.features import build_item_content
from lgnas.data.fetch import FetchSource, fetch_dataset
from lgnas.data.interactions import Interactions
from lgnas.data.loaders import (
    load_atomic,
    load_atomic_split,
    load_csv,
    load_grouplens_100k,
    load_lightgcn,
    load_pyg,
)
from lgnas.data.non_clicks import add_non_clicks
from lgnas.data.preprocess import (
    DEDUP_KEEPS,
    compact,
    dedup_rows,
    implicit_rows,
    kcore_rows,
    subsample_users_rows,
    unseen_rows,
)
from lgnas.data.splits import (
    TEST,
    TRAIN,
    VALID,
    Split,
    split_cold_items,
    split_leave_one_out,
    split_predefined,
    split_random,
    split_temporal,
)
from lgnas.data.synthetic import generate_synthetic
from lgnas.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

Loaded = tuple[Interactions, np.ndarray | None]
CARVE_SEED = 0
"""The default seed of validation carved from a predefined train set (``split.seed``)."""


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
        lambda cfg: cache_dir("pyg", str(cfg["name"])),
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
    "name", "format", "path", "train", "valid", "test", "unseen", "fetch", "rating_threshold",
    "kcore", "dedup", "subsample", "split", "options", "item_features", "click_threshold",
    "sampled_non_clicks",
)  # fmt: skip
_SUBSAMPLE_KEYS = ("users", "seed")
_NON_CLICK_KEYS = ("per_click", "seed")
_SPLIT_PROVIDED = ("data", "parts")
_SPLIT_FILES = ("train", "valid", "test")
_UNSEEN = ("drop", "keep")


def prepare_dataset(cfg: Mapping[str, Any], seed: int) -> Split:
    """Load, filter, compact and split the dataset a config describes (schema above)."""
    cfg = _plain(cfg)
    name = cfg.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"dataset config needs a non-empty string 'name'; got {name!r}.")
    where = f"dataset {name!r}"
    _check_keys(cfg, _KEYS, where)
    subsample = _subsample(cfg, where)
    unseen = cfg.get("unseen", "drop")
    if unseen not in _UNSEEN:
        raise ConfigError(
            f"{where}: unseen={unseen!r} must be 'drop' (validation and test rows of users or "
            "items never seen in train leave the ranking metrics) or 'keep'."
        )
    started = time.perf_counter()
    data, parts = _load(cfg, where)

    threshold = cfg.get("rating_threshold")
    if threshold is not None and not _is_number(threshold):
        raise ConfigError(f"{where}: rating_threshold={threshold!r} must be a number or null.")
    clicks = cfg.get("click_threshold")
    non_clicks = _section(cfg, "sampled_non_clicks", where)
    if non_clicks:
        _check_keys(non_clicks, _NON_CLICK_KEYS, f"{where}: dataset.sampled_non_clicks")
        if clicks is not None:
            raise ConfigError(
                f"{where}: sampled_non_clicks draws the non-clicks and labels every given row "
                f"a click; remove click_threshold={clicks!r} (or sampled_non_clicks)."
            )
    if clicks is not None and (not _is_number(clicks) or data.rating is None):
        raise ConfigError(
            f"{where}: click_threshold={clicks!r} must be a number and the data needs a "
            "rating (or 0/1 label) column to compare with it; set it to null otherwise."
        )
    k = cfg.get("kcore", 0)
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ConfigError(f"{where}: kcore={k!r} must be an integer >= 0 (0 turns it off).")
    dedup = _dedup(cfg, where)

    if parts is not None:
        data, parts = _unseen(data, parts, unseen == "drop", where)
    data, parts = _keep(data, parts, implicit_rows(data, threshold))
    if dedup is not None:
        kept = dedup_rows(data, dedup)
        _log_merged(data, kept, dedup, where)
        data, parts = _keep(data, parts, kept)
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
    if non_clicks:
        per_click, draw_seed = non_clicks.get("per_click", 1), non_clicks.get("seed", 0)
        data, rows = add_non_clicks(data, per_click, draw_seed)
        parts, clicks = (None if parts is None else parts[rows]), 1.0
    split = _split(data, parts, cfg, seed, where)
    if len(split.train) == 0:
        raise DataError(
            f"{where}: no interaction is left to train on (of {len(data)} after filtering); "
            "check that the train file is not the test file, and the split's ratios."
        )
    logger.info(
        "%s: %s users, %s items, %s interactions, prepared in %.1f s",
        *(where, f"{data.num_users:,}", f"{data.num_items:,}", f"{len(data):,}"),
        time.perf_counter() - started,
    )
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
    takes_files = "train" in inspect.signature(fmt.load).parameters
    files = {part: cfg[part] for part in _SPLIT_FILES if cfg.get(part) is not None}
    provided = (fmt.path_param,) if fmt.path_param else ()
    _check_call(
        fmt.load, options, (*provided, *_SPLIT_FILES), f"{where}: options for format {kind!r}"
    )
    if files and not takes_files:
        raise ConfigError(
            f"{where}: format {kind!r} reads no {sorted(files)} files; a split given as "
            "train/valid/test files is format 'csv' (or give this format's 'path')."
        )
    if fmt.path_param is None:
        if cfg.get("path") is not None:
            raise ConfigError(f"{where}: format {kind!r} reads no files; remove 'path'.")
    elif cfg.get("path") is not None:
        path = _resolve(str(cfg["path"]))
        if cfg.get("fetch") is not None:
            source = FetchSource.from_config(cfg["fetch"], where)
            if not path.exists():
                path = fetch_dataset(source, path, where)
        options[fmt.path_param] = path
    elif fmt.default_path is not None:
        options[fmt.path_param] = fmt.default_path(cfg)
    elif not files:
        also = ", or 'train' and 'test' files" if takes_files else ""
        raise ConfigError(f"{where}: format {kind!r} needs 'path' (a file or folder){also}.")
    options.update({part: _resolve(str(file)) for part, file in files.items()})
    # A status line before the long part: large files take seconds to read (gowalla: ~10 s).
    reading = options.get(fmt.path_param or "") or ", ".join(map(str, files.values()))
    logger.info("%s: reading %s", where, reading or "generated data")
    loaded = fmt.load(**options)
    data, parts = loaded if isinstance(loaded, tuple) else (loaded, None)
    if parts is not None and parts.dtype == bool:  # an is_test mask: labels from here on
        parts = np.where(parts, TEST, TRAIN).astype(np.int8)
    return data, parts


def _dedup(cfg: Mapping[str, Any], where: str) -> str | None:
    """The ``dedup`` policy (:data:`DEDUP_KEEPS`), or None to keep repeated pairs."""
    dedup = cfg.get("dedup", True)
    if dedup is True:
        return "last"
    if dedup is False or dedup is None:
        return None
    if dedup not in DEDUP_KEEPS:
        raise ConfigError(
            f"{where}: dedup={dedup!r} must be one of {list(DEDUP_KEEPS)} (which row of a "
            "repeated user-item pair to keep) or false (keep them all); true means last."
        )
    return dedup


def _log_merged(data: Interactions, kept: np.ndarray, keep: str, where: str) -> None:
    """One log line on the repeated (user, item) rows dedup merged, if any."""
    merged = len(data) - len(kept)
    if merged:
        dropped = np.ones(len(data), dtype=bool)
        dropped[kept] = False
        pairs = np.unique(data.user[dropped] * data.num_items + data.item[dropped])
        logger.info(
            "%s: dedup=%s merged %d repeated rows into %d user-item pairs, keeping %s.",
            where, keep, merged, len(pairs), DEDUP_KEEPS[keep],
        )  # fmt: skip


def _unseen(data: Interactions, parts: np.ndarray, drop: bool, where: str) -> Loaded:
    """A published split without (``drop``) or with its validation and test rows whose user
    or item has no train row; counted in one log line either way."""
    unseen = unseen_rows(data, parts)
    if not unseen.any():
        return data, parts
    is_train = parts == TRAIN
    users = np.setdiff1d(data.user[unseen], data.user[is_train])
    items = np.setdiff1d(data.item[unseen], data.item[is_train])
    counts = [
        f"{(unseen & rows).sum()} of {rows.sum()} {part} rows"
        for part, rows in (("test", parts == TEST), ("validation", parts == VALID))
        if rows.any()
    ]
    done = "dropped: they leave the ranking metrics" if drop else "kept and ranked (unseen: keep)"
    logger.info(
        "%s: %s name a user or item never seen in train (users: %d, items: %d); %s.",
        where, " and ".join(counts), len(users), len(items), done,
    )  # fmt: skip
    return _keep(data, parts, np.flatnonzero(~unseen)) if drop else (data, parts)


def _split(
    data: Interactions, parts: np.ndarray | None, cfg: dict[str, Any], seed: int, where: str
) -> Split:
    if isinstance(cfg.get("split"), str):
        cfg = {**cfg, "split": {"kind": cfg["split"]}}
    given = {k: v for k, v in _section(cfg, "split", where).items() if v is not None}
    kind = given.pop("kind", "predefined" if parts is not None else "random")
    split = _lookup(SPLITS, kind, f"{where}: split kind")
    split_seed = given.pop("seed", None)
    options = dict(given)
    _check_call(split, options, _SPLIT_PROVIDED, f"{where}: options for split {kind!r}")
    params = inspect.signature(split).parameters
    if "parts" in params:
        if parts is None:
            raise ConfigError(
                f"{where}: split kind {kind!r} needs a format with a published test set "
                f"(lightgcn, atomic_split, csv with train/test files, or pyg AmazonBook); "
                f"format {cfg.get('format')!r} has none."
            )
        options["parts"] = parts
    drawn = "seed" in params and not (
        (kind == "predefined" and (parts == VALID).any())
        or (kind == "leave_one_out" and data.timestamp is not None)  # ordered by time
    )
    if split_seed is not None and "seed" not in params:
        raise ConfigError(
            f"{where}: split kind {kind!r} draws nothing at random; remove dataset.split.seed."
        )
    if split_seed is not None and not (_is_int(split_seed) and split_seed >= 0):
        raise ConfigError(f"{where}: dataset.split.seed={split_seed!r} must be an integer >= 0.")
    used = split_seed if split_seed is not None else CARVE_SEED if kind == "predefined" else seed
    if "seed" in params:
        options["seed"] = used
    defaults = {
        name: param.default
        for name, param in params.items()
        if name not in (*_SPLIT_PROVIDED, "seed") and param.default is not inspect.Parameter.empty
    }
    settings = {**defaults, **given}
    note = _split_note(kind, settings, used if drawn else None, split_seed is not None, seed)
    return dataclasses.replace(split(data, **options), seed=used if drawn else None, note=note)


def _split_note(
    kind: str, options: Mapping[str, Any], drawn: int | None, given: bool, run_seed: int
) -> str:
    """One line for reports on how the split was made and which seed drew it."""
    settings = ", ".join(f"{key} {_plain(value)}" for key, value in options.items())
    how = f" ({settings})" if settings else ""
    if kind == "predefined" and drawn is None:
        return "Split: the train, validation and test sets given (predefined); nothing drawn."
    if drawn is None:
        return f"Split: {kind}{how}; nothing drawn at random."
    if given:
        source = f"dataset.split.seed={drawn}"
    elif kind == "predefined":
        source = f"dataset.split.seed={drawn} (the default, whatever the run's seed)"
    else:
        source = f"the run's seed {run_seed} (dataset.split.seed unset)"
    if kind == "predefined":
        return f"Split: the test set given; validation carved from train{how} with {source}."
    return f"Split: {kind}{how}, drawn with {source}."


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
