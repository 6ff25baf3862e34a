"""Errors lgnas raises for bad input: each names what was wrong, where, and what to do."""

from __future__ import annotations


class LgnasError(Exception):
    """Base class of errors caused by user input (data, configuration), not by lgnas bugs."""


class DataError(LgnasError, ValueError):
    """A data file or data option is missing, malformed, or leaves no data to work with."""


class ConfigError(LgnasError, ValueError):
    """A configuration value is unknown or out of range."""


class SearchError(LgnasError, RuntimeError):
    """A search found nothing: every trial failed (the first one's error says why)."""
