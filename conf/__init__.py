"""Hydra configuration tree; a package only so the wheel can ship it as ``lgnas.conf``."""
