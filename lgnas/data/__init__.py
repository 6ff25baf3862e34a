"""Recommendation data: loaders, preprocessing, splits and the Lightning data module."""

from __future__ import annotations

from lgnas.data.catalog import prepare_dataset
from lgnas.data.interactions import Interactions
from lgnas.data.loaders import load_atomic, load_csv, load_grouplens_100k, load_lightgcn, load_pyg
from lgnas.data.preprocess import compact, deduplicate, kcore, subsample_users, to_implicit
from lgnas.data.splits import (
    Split,
    split_cold_items,
    split_leave_one_out,
    split_predefined,
    split_random,
    split_temporal,
)
from lgnas.data.synthetic import generate_synthetic

__all__ = [
    "Interactions",
    "Split",
    "compact",
    "deduplicate",
    "generate_synthetic",
    "kcore",
    "load_atomic",
    "load_csv",
    "load_grouplens_100k",
    "load_lightgcn",
    "load_pyg",
    "prepare_dataset",
    "split_cold_items",
    "split_leave_one_out",
    "split_predefined",
    "split_random",
    "split_temporal",
    "subsample_users",
    "to_implicit",
]
