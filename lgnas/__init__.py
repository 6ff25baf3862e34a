"""lgnas: graph neural architecture search for recommender systems."""

from __future__ import annotations

__version__ = "0.1.0"
