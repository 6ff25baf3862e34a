"""``hydra/sweeper=lgnas``: tune any Hydra app's config values with lgnas's strategies."""
