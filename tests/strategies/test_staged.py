"""The staged search: stage 1 over macro choices, then each kept model's cells layer by layer."""

from __future__ import annotations

import numpy as np
import pytest

from lgnas.errors import ConfigError
from lgnas.models.architecture import MESSAGE_PASSING_KEYS, Architecture, propagated
from lgnas.space import load_space, propagated_point, split_point
from lgnas.strategies import make_strategy
from lgnas.testing import synthetic_objective
from lgnas.trials import Candidate, TrialResult


def _search(trials: int = 20, batch: int = 1, space_name: str = "cells", **options):
    space = load_space(space_name)
    strategy = make_strategy("staged", space, 0, trials=trials, keep=2, **options)
    fields: dict[int, dict] = {}
    objective = synthetic_objective(space)
    asked: list[Candidate] = []
    while len(asked) < trials:
        candidates = strategy.ask(min(batch, trials - len(asked)))
        for candidate in candidates:
            fields[candidate.id] = strategy.trial_fields(candidate)
        for candidate in candidates:
            strategy.tell(candidate, TrialResult(objective=objective(candidate.point)))
        asked.extend(candidates)
    return space, asked, fields, objective


def test_stage_1_asks_its_share_of_one_op_models_then_stage_2_refines_the_best() -> None:
    space, asked, fields, objective = _search(trials=20, stage1_share=0.4)
    stages = [fields[c.id]["stage"] for c in asked]
    assert stages == [1] * 8 + [2] * 12
    assert all(c.point["cell_nodes"] == [1] * c.point["num_layers"] for c in asked[:8])
    assert all(fields[c.id]["parent"] is None for c in asked[:8])
    best_two = sorted(asked[:8], key=lambda c: -objective(c.point))[:2]
    points = {c.id: c.point for c in asked}
    first = fields[asked[8].id]
    assert (first["parent"], first["layer"]) == (best_two[0].id, 1)
    for candidate in asked[8:]:
        parent, layer = fields[candidate.id]["parent"], fields[candidate.id]["layer"] - 1
        before, after = points[parent], candidate.point
        assert after["num_layers"] == before["num_layers"] and after["lr"] == before["lr"]
        for name in ("activation", "op", "cell_nodes"):  # other layers stay the parent's
            assert [v for i, v in enumerate(after[name]) if i != layer] == [
                v for i, v in enumerate(before[name]) if i != layer
            ]
    # Each model's later layers start from the best of its earlier layer searches.
    by_pair: dict[tuple[int, int], list[Candidate]] = {}
    for candidate in asked[8:]:
        f = fields[candidate.id]
        by_pair.setdefault((f["parent"], f["layer"]), []).append(candidate)
    pairs = list(by_pair)
    for (parent, layer), (next_parent, next_layer) in zip(pairs, pairs[1:]):
        if next_layer == layer + 1:
            contenders = [points[parent], *(c.point for c in by_pair[parent, layer])]
            assert points[next_parent] == max(contenders, key=objective)


def test_batches_larger_than_a_stage_stay_valid_and_only_refine_told_models() -> None:
    space, asked, fields, _ = _search(trials=24, batch=5)
    told_before: set[int] = set()
    for start in range(0, len(asked), 5):
        batch = asked[start : start + 5]
        for candidate in batch:
            space.validate(candidate.point)
            parent = fields[candidate.id]["parent"]
            assert parent is None or parent in told_before
        told_before |= {c.id for c in batch}
    assert {fields[c.id]["stage"] for c in asked} == {1, 2}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"trials": None}, "staged: strategy.trials is null; it plans its stages"),
        ({"stage1": "staged"}, "strategy.stage1=staged would nest stages"),
        ({"stage1_share": 0.0}, "staged: stage1_share must be in (0, 1], got 0.0"),
        ({"keep": 0}, "staged: keep must be >= 1, got 0"),
        ({"inner": "genetik"}, "unknown search strategy 'genetik'"),
        ({"stage1_options": {"swarm": 3}}, "strategy 'genetic' has no parameter(s) ['swarm']"),
    ],
)
def test_bad_options_are_refused_by_name(options: dict, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        make_strategy("staged", load_space("cells"), 0, **options)
    assert message in str(refused.value)


def test_a_space_without_per_layer_ops_is_searched_by_stage_1_alone() -> None:
    space, asked, fields, _ = _search(trials=6, space_name="tiny")
    assert [fields[c.id]["stage"] for c in asked] == [1] * 6


def _factorisation_wins_stage_1(**options) -> tuple:
    """A staged search on ``default`` where every model without layers scores highest (as
    the shipped prior's factorisations do in short trials), one of them queued first."""
    space = load_space("default")
    strategy = make_strategy("staged", space, 0, trials=16, keep=2, stage1_share=0.5, **options)
    objective = synthetic_objective(space)

    def score(point: dict) -> float:
        return 10.0 + point["lr"] if point["num_layers"] == 0 else objective(point)

    rng = np.random.default_rng(0)
    mf = next(p for p in (space.sample(rng) for _ in range(100)) if p["num_layers"] == 0)
    strategy.enqueue([mf])  # as search.prior queues the priors' (MF) points
    asked, fields = [], {}
    while len(asked) < 16:
        (candidate,) = strategy.ask(1)
        fields[candidate.id] = strategy.trial_fields(candidate)
        strategy.tell(candidate, TrialResult(objective=score(candidate.point)))
        asked.append(candidate)
    stage1 = [c for c in asked if fields[c.id]["stage"] == 1]
    assert any(c.point["num_layers"] == 0 for c in stage1)
    return space, asked, fields, stage1, score


def test_without_propagate_stage_2_refines_only_models_with_layers() -> None:
    _, asked, fields, stage1, score = _factorisation_wins_stage_1(propagate=0)
    layered = sorted((c for c in stage1 if c.point["num_layers"]), key=lambda c: -score(c.point))
    parents = [fields[c.id]["parent"] for c in asked if fields[c.id]["stage"] == 2]
    assert parents and parents[0] == layered[0].id
    assert layered[1].id in parents  # the second kept model is refined too
    assert all(p not in {c.id for c in stage1 if c.point["num_layers"] == 0} for p in parents)


def test_the_best_factorisation_stands_in_for_stage_2_on_lightgcn_layers() -> None:
    """The best model without layers is refined as its recipe on two LightGCN layers: that
    model is stage 2's first candidate, and its candidates inherit the factorisation's
    weights; the other kept model is the best with layers of its own."""
    space, asked, fields, stage1, score = _factorisation_wins_stage_1()
    flat = max((c for c in stage1 if not c.point["num_layers"]), key=lambda c: score(c.point))
    layered = max((c for c in stage1 if c.point["num_layers"]), key=lambda c: score(c.point))
    stage2 = [c for c in asked if fields[c.id]["stage"] == 2]
    assert stage2[0].point == propagated_point(space, flat.point, 2)
    assert (fields[stage2[0].id]["parent"], fields[stage2[0].id]["layer"]) == (flat.id, 1)
    assert stage2[0].point["op"] == ["lightgcn", "lightgcn"]
    recipe = {k: v for k, v in flat.point.items() if k not in MESSAGE_PASSING_KEYS}
    for c in stage2:
        if fields[c.id]["parent"] == flat.id:
            assert c.point["num_layers"] == 2
            assert {k: c.point.get(k) for k in recipe} == recipe
    assert layered.id in {fields[c.id]["parent"] for c in stage2}


def test_a_propagated_point_is_the_propagated_architecture() -> None:
    """The stand-in is the model the finalists' ``found-1-propagated`` retrains."""
    space = load_space("default")
    rng = np.random.default_rng(1)
    for mf in [p for p in (space.sample(rng) for _ in range(300)) if p["num_layers"] == 0][:5]:
        for layers in (1, 2, 3):
            graph = propagated_point(space, mf, layers)
            arch = Architecture.from_dict(split_point(graph)[0])
            expected = propagated(Architecture.from_dict(split_point(mf)[0]), layers)
            assert arch == expected
            assert split_point(graph)[1] == split_point(mf)[1]  # the same training recipe
    assert propagated_point(space, mf, 5) is None  # the space has at most 4 layers


def test_stage_1_learns_from_the_queued_points_and_grafts_their_recipes() -> None:
    """A queued (prior) point is stage 1's strategy's own candidate: a grafting genetic stage 1
    then fills its first population with the point's recipe on random graphs."""
    space = load_space("default")
    options = {"trials": 16, "keep": 2, "stage1_share": 0.5, "stage1_options": {"graft": True}}
    strategy = make_strategy("staged", space, 0, **options)
    rng = np.random.default_rng(1)
    mf = next(p for p in (space.sample(rng) for _ in range(100)) if p["num_layers"] == 0)
    strategy.enqueue([mf])
    recipe = {k: v for k, v in mf.items() if k != "num_layers"}
    asked = []
    for _ in range(4):
        (candidate,) = strategy.ask(1)
        strategy.tell(candidate, TrialResult(objective=0.1))
        asked.append(candidate.point)
    assert asked[0] == mf
    for point in asked[1:]:
        assert point["num_layers"] >= 1
        assert {k: point[k] for k in recipe} == recipe
    restored = make_strategy("staged", space, 0, **options)
    restored.load_state_dict(strategy.state_dict())
    assert restored.ask(1)[0].point == strategy.ask(1)[0].point
