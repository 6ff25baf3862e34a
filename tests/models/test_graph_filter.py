"""GF-CF and BSPM: batched sparse scores against the dense formula; the spec, its grid and
its files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lgnas.data.interactions import Interactions
from lgnas.errors import ConfigError
from lgnas.models.architecture import Architecture
from lgnas.models.families import model_from_dict, model_preset
from lgnas.models.filter_recommender import GraphFilterRecommender
from lgnas.models.graph_filter import GraphFilter, GridPoint

USERS, ITEMS = 20, 30


@pytest.fixture
def train() -> Interactions:
    """A random graph where user 19 has no item and items 28, 29 have no user."""
    rng = np.random.default_rng(0)
    pairs = {(int(u), int(i)) for u, i in zip(rng.integers(0, 19, 150), rng.integers(0, 28, 150))}
    user, item = np.array(sorted(pairs)).T
    ids = np.arange(max(USERS, ITEMS)).astype(str)
    return Interactions(user, item, None, None, ids[:USERS], ids[:ITEMS])


def _dense_filter(
    train: Interactions,
    vectors: torch.Tensor,
    alpha: float,
    sharpen: float = 0.0,
    solver: str = "euler",
) -> torch.Tensor:
    """``R (P̃ + α D_I^{-1/2} V Vᵀ D_I^{1/2})``, ``P̃ = R̃ᵀR̃``, then one step of length σ of
    ``dx/dt = -x P̃`` by Euler's method or by the classic Runge-Kutta stages; in float64,
    every matrix dense."""
    rows = torch.zeros(USERS, ITEMS, dtype=torch.float64)
    rows[train.user, train.item] = 1.0
    user_degree, item_degree = rows.sum(1), rows.sum(0)
    user_root, item_root = (
        torch.where(d > 0, d.clamp(min=1) ** -0.5, 0.0) for d in (user_degree, item_degree)
    )
    normalised = torch.diag(user_root) @ rows @ torch.diag(item_root)
    ideal = torch.diag(item_root) @ vectors @ vectors.T @ torch.diag(item_degree.sqrt())
    linear = normalised.T @ normalised
    blurred = rows @ (linear + alpha * ideal)
    slope = lambda x: -x @ linear  # noqa: E731
    if solver == "euler":
        return blurred + sharpen * slope(blurred)
    k1 = slope(blurred)
    k2 = slope(blurred + sharpen / 2 * k1)
    k3 = slope(blurred + sharpen / 2 * k2)
    k4 = slope(blurred + sharpen * k3)
    return blurred + sharpen / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def test_batched_sparse_scores_equal_the_dense_formula(train: Interactions) -> None:
    model = GraphFilterRecommender([train], rank=8, dtype=torch.float64)
    users = torch.tensor([0, 3, 5, 19, 7])
    points = [
        GridPoint(0.0, 8), GridPoint(0.3, 4), GridPoint(1.0, 8), GridPoint(0.0, 8, 0.5),
        GridPoint(0.3, 4, 1.5), GridPoint(0.0, 8, 2.5, "rk4"), GridPoint(0.2, 8, 2.5, "rk4"),
    ]  # fmt: skip
    for alpha, rank, sharpen, solver in points:
        expected = _dense_filter(train, model.singular_vectors[:, :rank], alpha, sharpen, solver)
        torch.testing.assert_close(
            model.scores(users, alpha, rank, sharpen, solver), expected[users], rtol=0, atol=1e-13
        )
    grid = [
        GridPoint(0.0, 4), GridPoint(0.0, 4, 0.5), GridPoint(0.5, 4, 1.0),
        GridPoint(0.5, 4, 1.0, "rk4"), GridPoint(0.2, 8), GridPoint(0.2, 8, 2.0, "rk4"),
    ]  # fmt: skip
    for point, scores in model.scores_over_grid(users, grid):
        assert torch.equal(scores, model.scores(users, *point))  # shared parts, same sums
    assert model.scores(users, 1.0, 8, 0.5)[3].abs().max() == 0  # no training item, no signal
    # Sharpening changes the ranking, not only the scale: it moves items past each other.
    plain, sharpened = model.scores(users, 0.3, 8), model.scores(users, 0.3, 8, 1.0)
    assert not torch.equal(plain[:3].argsort(dim=1), sharpened[:3].argsort(dim=1))
    # A Runge-Kutta step is not an Euler step of another length: its ranking differs.
    rk4 = model.scores(users, 0.3, 8, 2.5, "rk4")
    for euler in (model.scores(users, 0.3, 8, s) for s in (0.25, 0.5, 1.0, 2.5)):
        assert not torch.equal(euler[:3].argsort(dim=1), rk4[:3].argsort(dim=1))


def test_singular_vectors_are_the_top_right_singular_subspace(train: Interactions) -> None:
    # 8 + 32 columns exceed min(users, items): the randomised SVD is then exact.
    model = GraphFilterRecommender([train], rank=8, dtype=torch.float64)
    rows = torch.zeros(USERS, ITEMS, dtype=torch.float64)
    rows[train.user, train.item] = 1.0
    du, di = rows.sum(1), rows.sum(0)
    normalised = rows / torch.outer(du.clamp(min=1).sqrt(), di.clamp(min=1).sqrt())
    _, values, right = torch.linalg.svd(normalised)
    torch.testing.assert_close(model.singular_values, values[:8])
    assert values[7] - values[8] > 1e-3  # a gap: the top-8 subspace is well defined
    exact, found = right[:8].T, model.singular_vectors
    torch.testing.assert_close(found @ found.T, exact @ exact.T, rtol=0, atol=1e-10)


def test_the_svd_is_seeded_and_leaves_global_random_state_alone(train: Interactions) -> None:
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = GraphFilterRecommender([train], rank=4, oversample=2, power_iterations=1, seed=5)
    assert torch.equal(torch.random.get_rng_state(), before)
    again = GraphFilterRecommender([train], rank=4, oversample=2, power_iterations=1, seed=5)
    assert torch.equal(first.singular_vectors, again.singular_vectors)


def test_a_rank_beyond_the_data_is_refused(train: Interactions) -> None:
    with pytest.raises(ConfigError, match="rank 21 exceeds min\\(users, items\\) = 20"):
        GraphFilterRecommender([train], rank=21)


def test_keep_drops_the_vectors_past_the_chosen_rank(train: Interactions) -> None:
    model = GraphFilterRecommender([train], rank=8, dtype=torch.float64)
    users = torch.arange(USERS)
    expected, sharpened = model.scores(users, 0.3, 4), model.scores(users, 0.3, 4, 0.5, "rk4")
    model.keep(4)
    assert model.rank == 4 and model.state_dict()["singular_vectors"].shape == (ITEMS, 4)
    assert torch.equal(model.scores(users, 0.3, 4), expected)
    torch.testing.assert_close(
        model.scores(users, 0.3, 4, 0.5, "rk4"), sharpened, rtol=0, atol=1e-12
    )
    with pytest.raises(ConfigError, match="rank 8 exceeds the 4 computed"):
        model.scores(users, 0.3, 8)


def test_the_grid_goes_by_rank_and_tries_alpha_zero_once() -> None:
    spec = GraphFilter(alpha=[0.3, 0.0], rank=[128, 64])
    assert spec.alpha == (0.0, 0.3) and spec.rank == (64, 128) and spec.sharpen == (0.0,)
    assert spec.grid == [GridPoint(0.0, 64, 0.0), GridPoint(0.3, 64, 0.0), GridPoint(0.3, 128, 0.0)]
    chosen = spec.chosen(GridPoint(0.3, 128))
    assert (
        chosen.grid == [GridPoint(0.3, 128, 0.0)]
        and chosen.power_iterations == spec.power_iterations
    )
    sharpened = GraphFilter(alpha=[0.0, 0.3], rank=[64, 128], sharpen=[0.5, 0.0])
    assert sharpened.grid == [
        GridPoint(0.0, 64, 0.0), GridPoint(0.0, 64, 0.5), GridPoint(0.3, 64, 0.0),
        GridPoint(0.3, 64, 0.5), GridPoint(0.3, 128, 0.0), GridPoint(0.3, 128, 0.5),
    ]  # fmt: skip
    assert sharpened.chosen(GridPoint(0.3, 64, 0.5)).to_dict()["sharpen"] == 0.5
    # Without a step the solver does not matter: sharpen 0 comes once, with the first solver.
    solvers = GraphFilter(alpha=0.3, rank=64, sharpen=[0.0, 2.5], solver=["rk4", "euler"])
    assert solvers.solver == ("euler", "rk4")
    assert solvers.grid == [
        GridPoint(0.3, 64, 0.0, "euler"),
        GridPoint(0.3, 64, 2.5, "euler"),
        GridPoint(0.3, 64, 2.5, "rk4"),
    ]
    assert solvers.chosen(solvers.grid[2]).to_dict()["solver"] == "rk4"
    assert GridPoint(0.3, 64, 2.0, "rk4").sharpening == (1.0, -2.0, 2.0, -8 / 6, 16 / 24)
    assert GridPoint(0.3, 64, 0.0, "rk4").sharpening == (1.0,)


def test_a_graph_filter_round_trips_through_a_plain_mapping() -> None:
    spec = GraphFilter(alpha=[0.1, 0.3], rank=256, oversample=8, refit=True)
    plain = spec.to_dict()
    assert plain["family"] == "graph_filter" and plain["rank"] == 256
    assert plain["alpha"] == [0.1, 0.3]
    assert model_from_dict(plain) == spec
    assert model_preset("gfcf", rank=[32]) == GraphFilter(rank=32)
    assert model_preset("bspm").sharpen != (0.0,) and model_preset("gfcf").sharpen == (0.0,)
    assert model_preset("bspm_rk4").solver == ("rk4",) and 2.5 in model_preset("bspm_rk4").sharpen
    # A filter saved before sharpening existed reads back as GF-CF.
    assert model_from_dict({"family": "graph_filter", "rank": 64}).sharpen == (0.0,)
    assert model_from_dict({"num_layers": 2}) == Architecture(num_layers=2)
    assert model_preset("mf") == Architecture(num_layers=0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"family": "graph_filter", "alpha": -0.1}, "'alpha': -0.1 must be a number >= 0"),
        ({"family": "graph_filter", "rank": [64, 0]}, "'rank': 0 must be an integer >= 1"),
        ({"family": "graph_filter", "rank": []}, "'rank' is an empty list"),
        ({"family": "graph_filter", "rank": 1.5}, "'rank': 1.5 must be an integer"),
        ({"family": "graph_filter", "sharpen": [0, -1]}, "'sharpen': -1 must be a number >= 0"),
        ({"family": "graph_filter", "solver": "rk5"}, "'solver': 'rk5' is not one of"),
        ({"family": "graph_filter", "solver": []}, "'solver' is an empty list"),
        ({"family": "graph_filter", "dim": 64}, "unknown graph filter key\\(s\\) \\['dim'\\]"),
        ({"family": "graph_filter", "refit": "yes"}, "'refit': 'yes' must be true or false"),
        ({"family": "svd", "rank": 8}, "unknown model family 'svd'"),
    ],
)
def test_bad_graph_filter_values_are_refused_by_key(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        model_from_dict(values)


def test_an_unknown_preset_lists_the_graph_filters_too() -> None:
    with pytest.raises(ConfigError, match="'bspm', 'bspm_rk4', 'fm', 'gfcf', 'lightgcn'"):
        model_preset("svd")
