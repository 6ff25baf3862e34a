"""Simulated annealing for lgnas, registered as the strategy ``annealing``."""

from __future__ import annotations

from lgnas_annealing.annealing import SimulatedAnnealing

__all__ = ["SimulatedAnnealing"]
