"""Random search: the baseline every other strategy has to beat."""

from __future__ import annotations

from lgnas.space import SearchSpace
from lgnas.strategies.base import SearchStrategy
from lgnas.trials import Candidate, Point, TrialResult


class RandomSearch(SearchStrategy):
    """Independent draws from the space's prior (Bergstra & Bengio, JMLR 2012).

    Args:
        space: The space to search.
        seed: Seeds the strategy's random generator.
        deduplicate: Skip points asked before, until the space has none left.
    """

    def __init__(self, space: SearchSpace, seed: int = 0, deduplicate: bool = True) -> None:
        super().__init__(space, seed)
        self.deduplicate = deduplicate

    def _ask(self, candidate_id: int) -> Point:
        return self._sample_unseen() if self.deduplicate else self.space.sample(self._rng)

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        pass  # random search learns nothing
