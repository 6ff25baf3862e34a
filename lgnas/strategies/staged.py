"""The staged search: a population over macro choices, then each kept model's cells layer by
layer, all through one ask/tell strategy."""

from __future__ import annotations

from typing import Any

import numpy as np

from lgnas.errors import ConfigError
from lgnas.space import (
    SearchSpace,
    layer_genes,
    layer_space,
    macro_space,
    propagated_point,
    single_op_point,
    with_layer,
)
from lgnas.space._stages import FIRST_OP
from lgnas.strategies.base import SearchStrategy, _check_at_least, _check_unit_interval
from lgnas.strategies.registry import load_strategy, make_strategy
from lgnas.trials import Candidate, Point, TrialResult, fidelity_order

NAME = "staged"
_STAGE1 = 0  # the search index of stage 1; pair j of stage 2 is search j + 1


class StagedSearch(SearchStrategy):
    """Stage 1 picks macro architectures with one-op layers; stage 2 searches each kept
    one's cells, layer 1 first, then layer 2, ..., each layer from the best so far.

    Stage 1 runs the registered strategy ``stage1`` over the space without its cell keys
    (:func:`~lgnas.space.macro_space`: layers, op per layer, dim, score, loss, lr, reg,
    combine, ...) for ``round(stage1_share * trials)`` candidates, each a model of one-node
    cells. The ``keep`` best (highest fidelity first, then objective) go on. Stage 2 walks
    the pairs (kept model, layer) in order: a fresh ``inner`` strategy searches that layer's
    cell (:func:`~lgnas.space.layer_space`: node count, ops, inputs, merge) with every other
    gene fixed to the current model's; when its share of the budget is asked and told, the
    best of the current model and the layer's candidates becomes the model the next layer
    starts from.

    Choices the issue left open, made here:

    * Budget: ``trials`` counts candidates (``conf/strategy/staged.yaml`` fills it from
      ``search.trials``, so a resume must keep that budget: the journal refuses another).
      Stage 2 splits what stage 1 left evenly over the (model, layer) pairs, each pair's
      share fixed when it starts from what is left then, so an overrun corrects itself.
    * A stage begins only once every candidate of the one before is told. An ask that comes
      earlier (a batch larger than what is left of a stage, or a scheduler's bracket) is
      answered by the current search, which goes on for those candidates: serial searches
      follow the plan exactly; batched ones spend a little more in earlier stages. Asks
      beyond ``trials`` continue the last layer's search.
    * Stage 2 keeps the ``keep`` best stage-1 models that have layers, and with
      ``propagate`` the best one without (matrix factorisation) stands in among them as its
      recipe on ``propagate`` LightGCN layers (:func:`~lgnas.space.propagated_point`, as the
      finalists' ``search.propagated_layers``): its first candidate is that model itself,
      and every candidate starts from the factorisation's trained embeddings. Short trials
      favour factorisations, which converge first (a shipped prior's points are all such),
      so without a stand-in stage 2 would refine only weaker graph models. The model itself
      stays a contender as it is. If no model can be refined yet, stage 1 goes on until one
      can; if the space has no per-layer ``op`` (``tiny``), stage 1 is the whole search.
    * A stage-2 gene that becomes active with nothing to inherit (a ``gat`` layer's ``heads``)
      takes its first choice; a layer's activation and other non-cell genes stay the model's.
    * Points :meth:`enqueue`-d (``search.prior``) are stage-1 candidates; they count toward
      stage 1 and may be kept. Stage 1's strategy asks those with one-op layers too and learns
      from them as its own (a genetic stage 1 breeds from them and, with ``graft`` in
      ``stage1_options``, grafts their recipes onto random graphs); others (multi-node
      cells) no strategy proposed.

    The journal records each trial's ``stage`` (1 or 2) and ``parent``: in stage 2 the
    candidate whose layer it refines (and that ``layer``, from 1), ``None`` in stage 1
    (:meth:`trial_fields`). With ``inherit`` a stage-2 candidate starts from its parent's
    trained weights where names and shapes match (embeddings, unchanged layers; the
    journal's ``cost.inherited`` counts the tensors copied), so its score measures the new
    cell on top of what the parent learnt.

    Args:
        space: The space to search (cells or one op per layer).
        seed: Seeds stage 1's strategy and, through it, every layer's.
        trials: The candidates of the whole search (``search.trials``).
        stage1: Stage 1's registered strategy (``genetic``, ``pso``, ...).
        stage1_share: Share of ``trials`` stage 1 asks, in (0, 1].
        keep: Macro architectures stage 2 refines.
        inner: The registered strategy that searches each layer's cell.
        stage1_options: ``stage1``'s constructor options (e.g. ``{population_size: 6}``).
        inner_options: ``inner``'s constructor options.
        propagate: LightGCN layers under which the best model without message passing
            stands in for stage 2 (0: none does).
        inherit: Whether stage-2 candidates inherit their parent's weights
            (:attr:`~lgnas.strategies.base.SearchStrategy.inherits_weights`).
        finetune: Stage 3: the found architectures' retrains continue from their trials'
            weights, not from scratch (with ``inherit``, which keeps the weights;
            :attr:`~lgnas.strategies.base.SearchStrategy.finetunes_finalists`).
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        trials: int | None = 16,
        stage1: str = "genetic",
        stage1_share: float = 0.5,
        keep: int = 2,
        inner: str = "random",
        stage1_options: dict[str, Any] | None = None,
        inner_options: dict[str, Any] | None = None,
        propagate: int = 2,
        inherit: bool = True,
        finetune: bool = True,
    ) -> None:
        super().__init__(space, seed)
        if trials is None:
            raise ConfigError(
                f"{NAME}: strategy.trials is null; it plans its stages from the trial budget "
                "(by default search.trials), so set search.trials"
            )
        _check_at_least(NAME, 1, trials=trials, keep=keep)
        _check_at_least(NAME, 0, propagate=propagate)
        _check_unit_interval(NAME, "(0, 1]", stage1_share=stage1_share)
        for key, name in (("stage1", stage1), ("inner", inner)):
            if name == NAME:
                raise ConfigError(
                    f"{NAME}: strategy.{key}={NAME} would nest stages; choose "
                    "another strategy (genetic, pso, random, ...)"
                )
        self.trials, self.keep, self.propagate = int(trials), int(keep), int(propagate)
        self.stage1_trials = max(1, round(stage1_share * trials))
        self._inner, self._inner_options = inner, dict(inner_options or {})
        # A space without per-layer ops (tiny) has no layers to refine: stage 1 is all.
        self._cells = layer_space(space) if FIRST_OP in layer_genes(space) else None
        self._stage1 = make_strategy(
            stage1, macro_space(space), seed=seed, **dict(stage1_options or {})
        )
        self._layer_search: SearchStrategy | None = None
        batches = self._stage1.supports_batch and load_strategy(inner).supports_batch
        self.supports_batch = batches  # type: ignore[misc] - as its strategies allow
        self.inherits_weights = bool(inherit)  # type: ignore[misc] - as configured
        self.finetunes_finalists = bool(inherit and finetune)  # type: ignore[misc] - likewise
        self._asked = 0  # candidates asked in all
        self._routes: dict[int, dict[str, Any]] = {}  # pending: search, inner candidate, fields
        self._stage1_results: list[list[Any]] = []  # [id, point, objective, fidelity], ok ones
        self._models: list[list[Any]] = []  # the kept models, each the best of its pairs so far
        self._stand_in: int | None = None  # the kept model that is a propagated factorisation
        self._pairs: list[list[int]] = []  # [model, layer] in the order stage 2 searches them
        self._pair = -1  # the pair being searched; -1 in stage 1
        self._pair_budget = self._pair_asked = 0
        self._pair_results: list[list[Any]] = []

    # -- the plan -------------------------------------------------------------------------------

    def _layer_strategy(self, pair: int) -> SearchStrategy:
        """Pair ``pair``'s own strategy over one layer's cell, seeded by the seed and pair."""
        seed = int(np.random.SeedSequence([self.seed, pair]).generate_state(1)[0])
        return make_strategy(self._inner, self._cells, seed=seed, **self._inner_options)

    def _waiting(self, search: int) -> bool:
        return any(route["search"] == search for route in self._routes.values())

    def _current(self) -> int:
        """The search the next ask goes to, moving to the next stage or pair when the
        current one has asked its share and heard every result."""
        if self._pair < 0:
            if self._asked < self.stage1_trials or self._waiting(_STAGE1):
                return _STAGE1
            self._models = self._kept_models()
            self._pairs = [
                [model, layer]
                for model, (_, point, _, _) in enumerate(self._models)
                for layer in range(len(point.get("op", ())))
            ]
            if not self._pairs or self._cells is None:
                return _STAGE1
            self._start_pair(0)
        elif (
            self._pair_asked >= self._pair_budget
            and not self._waiting(self._pair + 1)
            and self._pair + 1 < len(self._pairs)
        ):
            self._finish_pair()
            self._start_pair(self._pair + 1)
        return self._pair + 1

    def _kept_models(self) -> list[list[Any]]:
        """Stage 1's ``keep`` best models with layers, the stand-in for the best without
        among them (:attr:`_stand_in` is its index); each ``[id, point, objective,
        fidelity]``, the id the trial whose weights its candidates start from."""
        ranked = sorted(self._stage1_results, key=_rank, reverse=True)
        layered = [e for e in ranked if len(e[1].get("op") or ())]
        flat = next((e for e in ranked if not len(e[1].get("op") or ())), None)
        graph = None
        if flat is not None and self.propagate and self._cells is not None:
            graph = propagated_point(self.space, flat[1], self.propagate)
        if graph is not None:
            layered.append([flat[0], graph, *flat[2:]])
        models = sorted(layered, key=_rank, reverse=True)[: self.keep]
        stand_in = [i for i, e in enumerate(models) if e[1] is graph]
        self._stand_in = stand_in[0] if stand_in else None
        return models

    def _start_pair(self, pair: int) -> None:
        left = max(0, self.trials - self._asked)
        self._pair, self._pair_asked, self._pair_results = pair, 0, []
        self._pair_budget = max(1, left // (len(self._pairs) - pair))
        self._layer_search = self._layer_strategy(pair)
        model, layer = self._pairs[pair]
        if model == self._stand_in and layer == 0:  # not trained yet: its own first candidate
            point = self._models[model][1]
            cell = {k: _at(point, k, layer) for k in self._cells.names if k in point}
            self._layer_search.enqueue([cell])

    def _finish_pair(self) -> None:
        model = self._pairs[self._pair][0]
        self._models[model] = max([self._models[model], *self._pair_results], key=_rank)

    # -- ask / tell -----------------------------------------------------------------------------

    def _ask(self, candidate_id: int) -> Point:
        search = self._current()
        if search == _STAGE1:
            (asked,) = self._stage1.ask(1)
            point = single_op_point(self.space, asked.point)
            fields: dict[str, Any] = {"stage": 1, "parent": None}
        else:
            assert self._layer_search is not None
            (asked,) = self._layer_search.ask(1)
            model, layer = self._pairs[self._pair]
            parent, base = self._models[model][:2]
            point = with_layer(self.space, base, layer, asked.point)
            fields = {"stage": 2, "parent": parent, "layer": layer + 1}
            self._pair_asked += 1
        self._routes[candidate_id] = {
            "search": search, "inner": [asked.id, asked.point], "fields": fields,
        }  # fmt: skip
        self._asked += 1
        return point

    def _adopt(self, candidate_id: int, point: Point) -> None:
        inner = None  # a queued point stage 1's strategy cannot ask: no strategy's
        macro = self._macro(point) if self._pair < 0 else None
        if macro is not None:
            self._stage1.enqueue([macro])
            (asked,) = self._stage1.ask(1)
            if asked.point != macro:
                raise RuntimeError(
                    f"stage 1 asked {asked.point} for the enqueued candidate {candidate_id} {macro}"
                )
            inner = [asked.id, asked.point]
        fields = {"stage": 1, "parent": None}
        self._routes[candidate_id] = {"search": _STAGE1, "inner": inner, "fields": fields}
        self._asked += 1

    def _macro(self, point: Point) -> Point | None:
        """The stage-1 point standing for ``point``, if its layers are one op each."""
        names = self._stage1.space.names
        try:
            macro = self._stage1.space.validate({k: v for k, v in point.items() if k in names})
        except ConfigError:
            return None
        return macro if single_op_point(self.space, macro) == point else None

    def _tell(self, candidate: Candidate, result: TrialResult) -> None:
        route = self._routes.pop(candidate.id)
        if route["inner"] is not None:
            asked = Candidate(*route["inner"])
            search = self._stage1 if route["search"] == _STAGE1 else self._layer_search
            assert search is not None
            search.tell(asked, result)
        if result.ok:
            entry = [candidate.id, candidate.point, result.objective, result.fidelity]
            (self._stage1_results if route["search"] == _STAGE1 else self._pair_results).append(
                entry
            )

    def _trial_fields(self, candidate: Candidate) -> dict[str, Any]:
        route = self._routes.get(candidate.id)
        return dict(route["fields"]) if route else {}

    # -- state ----------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        # The seed seeds each layer's strategy, so a restored search keeps the original.
        return {
            "seed": self.seed,
            "asked": self._asked,
            "routes": [[i, route] for i, route in self._routes.items()],
            "stage1": self._stage1.state_dict(),
            "stage1_results": self._stage1_results,
            "models": self._models,
            "stand_in": self._stand_in,
            "pairs": self._pairs,
            "pair": [self._pair, self._pair_budget, self._pair_asked],
            "pair_results": self._pair_results,
            "layer_search": self._layer_search.state_dict() if self._layer_search else None,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self._asked = int(state["asked"])
        self._routes = {int(i): route for i, route in state["routes"]}
        self._stage1.load_state_dict(state["stage1"])
        self._stage1_results, self._models = state["stage1_results"], state["models"]
        self._stand_in = state.get("stand_in")  # absent: saved before stand-ins existed
        self._pairs, self._pair_results = state["pairs"], state["pair_results"]
        self._pair, self._pair_budget, self._pair_asked = state["pair"]
        self._layer_search = None
        if state["layer_search"] is not None:
            self._layer_search = self._layer_strategy(self._pair)
            self._layer_search.load_state_dict(state["layer_search"])


def _rank(entry: list[Any]) -> tuple[float, float]:
    """How results compare: more epochs first (fewer score lower whatever the model), then
    the objective."""
    _, _, objective, fidelity = entry
    return (fidelity_order(fidelity), objective)


def _at(point: Point, name: str, layer: int) -> Any:
    """Gene ``name`` of ``point`` at ``layer`` (a per-layer gene's entry)."""
    value = point[name]
    return value[layer] if isinstance(value, list) else value
