"""GF-CF and BSPM scores for batches of users, by sparse products: no item-item matrix is ever
formed."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from lgnas.data.datamodule import UserItemIndex
from lgnas.data.interactions import Interactions
from lgnas.errors import ConfigError
from lgnas.models.graph_filter import GridPoint

# CSR products are stable for what is used here; the beta notice is noise.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


def _csr(row: Tensor, col: Tensor, value: Tensor, shape: tuple[int, int]) -> Tensor:
    coo = torch.sparse_coo_tensor(torch.stack([row, col]), value, shape, check_invariants=False)
    return coo.coalesce().to_sparse_csr()


def _inverse_sqrt(degree: Tensor) -> Tensor:
    """``degree^-1/2``, 0 where the degree is 0 (a node without edges passes nothing)."""
    return torch.where(degree > 0, degree.clamp(min=1).rsqrt(), 0.0)


class GraphFilterRecommender(nn.Module):
    """GF-CF (Shen et al., CIKM 2021, "How Powerful is Graph Convolution for Recommendation?").

    With ``R`` the binary user x item training matrix, ``R̃ = D_U^{-1/2} R D_I^{-1/2}`` and
    ``V_k`` the top ``k`` right singular vectors of ``R̃``, user ``u`` with training row
    ``r_u`` scores every item as ``s_u = r_u R̃ᵀR̃ + α (r_u D_I^{-1/2} V_k)(D_I^{1/2} V_k)ᵀ``:
    the normalised item-item linear filter plus the paper's ideal low-pass filter. A
    sharpening step of length ``σ`` (BSPM's, one Euler step) multiplies that by ``I - σP̃``,
    ``P̃ = R̃ᵀR̃``: ``r_u P̃²`` takes two more sparse products per batch, the low-pass part's
    ``D_I^{1/2} V_k`` times ``P̃`` is computed once.

    Memory: ``R̃ᵀR̃`` is items x items (41k² floats, 6.7 GB on Gowalla) and is never formed.
    A batch of ``B`` users is scored as ``(r_u R̃ᵀ) R̃``: a sparse-sparse product gives the
    ``[B, users]`` user-user weights, densified, then the ``[items, users]`` CSR ``R̃ᵀ``
    times their transpose gives ``[B, items]``. The low-pass part multiplies the ``[B, k]``
    projection by the ``[items, k]`` basis. Beyond the data this holds ``R̃ᵀ`` (CSR),
    ``3 x items x k`` floats (``V_k`` and its two scaled copies) and ``O(B x (users +
    items))`` floats per batch: 2.2 GB peak for a whole Gowalla run with k up to 512
    (BENCHMARKS.md). ``V_k`` comes from a randomised truncated SVD of the sparse ``R̃``
    (:func:`torch.svd_lowrank`, seeded without touching torch's global random state); it
    approximates the exact top-``k`` subspace, which on Gowalla scored no better.

    Args:
        parts: The interactions the filter is built from (the training split; for a refit,
            training and validation). Each user's rows in them are the filter's input.
        rank: The largest ``k`` the scores will ask for; 0 computes no SVD (``α = 0`` only).
        power_iterations: Power iterations of the randomised SVD.
        oversample: Extra SVD columns beyond ``rank``, dropped afterwards.
        seed: Seed of the randomised SVD.
        dtype: Floating type of every matrix and score (float64 for exact checks).
    """

    def __init__(
        self,
        parts: Sequence[Interactions],
        rank: int,
        power_iterations: int = 4,
        oversample: int = 32,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.num_users, self.num_items = parts[0].num_users, parts[0].num_items
        if rank > min(self.num_users, self.num_items):
            raise ConfigError(
                f"graph filter rank {rank} exceeds min(users, items) = "
                f"{min(self.num_users, self.num_items)} of this data; lower model.arch.rank"
            )
        self.rows = UserItemIndex(parts, self.num_users)
        user = torch.as_tensor(np.concatenate([p.user for p in parts]), dtype=torch.int64)
        item = torch.as_tensor(np.concatenate([p.item for p in parts]), dtype=torch.int64)
        shape = (self.num_users, self.num_items)
        user_scale = _inverse_sqrt(torch.bincount(user, minlength=self.num_users).to(dtype))
        item_degree = torch.bincount(item, minlength=self.num_items).to(dtype)
        item_scale = _inverse_sqrt(item_degree)
        value = user_scale[user] * item_scale[item]
        self.normalised_t = _csr(item, user, value, shape[::-1])  # R̃ᵀ, [items, users]
        self.normalised = _csr(user, item, value, shape)  # R̃, [users, items]
        self.register_buffer("item_degree", item_degree, persistent=False)
        vectors, values = self._top_right_singular(
            torch.sparse_coo_tensor(
                torch.stack([user, item]), value, shape, check_invariants=False
            ),
            rank,
            power_iterations,
            oversample,
            seed,
        )
        self.use_vectors(vectors, values)

    def use_vectors(self, vectors: Tensor, values: Tensor) -> None:
        """Score with these top right singular vectors ``V_k`` (``[items, k]``) and values,
        e.g. those a saved filter's ``model.pt`` keeps, instead of computing them again."""
        if vectors.shape[0] != self.num_items:
            raise ConfigError(
                f"graph filter: {vectors.shape[0]} singular vectors' rows for "
                f"{self.num_items} items; the data changed since the filter was computed"
            )
        degree = self.item_degree.to(vectors.dtype)
        self.register_buffer("singular_values", values)
        self.register_buffer("singular_vectors", vectors)  # V_k, what model.pt keeps
        # The low-pass filter's two sides: r_u D_I^{-1/2} V_k and D_I^{1/2} V_k.
        project = _inverse_sqrt(degree).unsqueeze(1) * vectors
        self.register_buffer("project", project, persistent=False)
        self.register_buffer("lift", degree.sqrt().unsqueeze(1) * vectors, persistent=False)
        self.__dict__.pop("_sharpened_lift", None)

    def _top_right_singular(
        self, matrix: Tensor, rank: int, power_iterations: int, oversample: int, seed: int
    ) -> tuple[Tensor, Tensor]:
        """``V_k`` (``[items, rank]``, by descending singular value) and the ``rank`` values."""
        if rank == 0:
            return torch.zeros(self.num_items, 0, dtype=matrix.dtype), matrix.new_zeros(0)
        columns = min(rank + oversample, self.num_users, self.num_items)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            _, values, vectors = torch.svd_lowrank(matrix, q=columns, niter=power_iterations)
        return vectors[:, :rank].contiguous(), values[:rank].contiguous()

    @property
    def rank(self) -> int:
        """The largest ``k`` this filter can score with."""
        return self.project.shape[1]

    def keep(self, rank: int) -> None:
        """Drop the singular vectors past the first ``rank`` (once a rank is chosen)."""
        for name in ("singular_values", "singular_vectors", "project", "lift"):
            tensor = getattr(self, name)
            setattr(self, name, tensor[..., :rank].contiguous())
        self.__dict__.pop("_sharpened_lift", None)

    def sharpened_lift(self) -> Tensor:
        """``P̃ D_I^{1/2} V_k`` (``[items, rank]``): the low-pass part's sharpening term,
        computed on first use."""
        if "_sharpened_lift" not in self.__dict__:
            self.__dict__["_sharpened_lift"] = self.propagate(self.lift.T).T.contiguous()
        return self.__dict__["_sharpened_lift"]

    def user_rows(self, users: Tensor) -> Tensor:
        """The users' binary training rows ``r_u`` as a ``[B, items]`` CSR matrix."""
        row, item = self.rows.gather(users.cpu())
        crow = torch.zeros(len(users) + 1, dtype=torch.int64)
        torch.cumsum(torch.bincount(row, minlength=len(users)), 0, out=crow[1:])
        ones = torch.ones(len(item), dtype=self.project.dtype)
        shape = (len(users), self.num_items)
        return torch.sparse_csr_tensor(crow, item, ones, shape, check_invariants=False)

    def linear(self, rows: Tensor) -> Tensor:
        """``r_u R̃ᵀR̃`` for CSR rows ``[B, items]``, dense ``[B, items]``."""
        user_weights = (rows @ self.normalised_t).to_dense()  # r_u R̃ᵀ, [B, users]
        return (self.normalised_t @ user_weights.T.contiguous()).T.contiguous()

    def propagate(self, scores: Tensor) -> Tensor:
        """``x P̃`` for dense rows ``x`` (``[B, items]``), as ``(R̃ᵀ (R̃ xᵀ))ᵀ``."""
        return (self.normalised_t @ (self.normalised @ scores.T.contiguous())).T.contiguous()

    def scores(self, users: Tensor, alpha: float, rank: int, sharpen: float = 0.0) -> Tensor:
        """``s_u`` of every item for each user in ``users`` (dense ``[B, items]``)."""
        return next(self.scores_over_grid(users, [GridPoint(alpha, rank, sharpen)]))[1]

    def scores_over_grid(
        self, users: Tensor, grid: Sequence[GridPoint]
    ) -> Iterator[tuple[GridPoint, Tensor]]:
        """``(point, s_u)`` for each point of ``grid``, in its order.

        The linear part, its sharpening and the low-pass projection are computed once for
        the batch, so a point costs additions. Every point's scores are written into one
        buffer, which a caller may mask in place but must use before asking for the next
        point: fresh ``[B, items]`` tensors per point cost more than ranking them.
        """
        grid = [GridPoint(*point) for point in grid]
        for point in grid:
            if point.alpha > 0 and point.rank > self.rank:
                raise ConfigError(
                    f"graph filter rank {point.rank} exceeds the {self.rank} computed"
                )
        sharpens = any(point.sharpen > 0 for point in grid)
        rows = self.user_rows(users)
        linear = self.linear(rows)
        linear_sharp = self.propagate(linear) if sharpens else None  # r_u P̃²
        projected = rows @ self.project  # [B, rank]
        scores, low_pass = torch.empty_like(linear), torch.empty_like(linear)
        low_sharp = torch.empty_like(linear) if sharpens else None
        low_rank = None
        for point in grid:
            alpha, k, sharpen = point
            if sharpen > 0:
                torch.add(linear, linear_sharp, alpha=-sharpen, out=scores)
            else:
                scores.copy_(linear)
            if alpha > 0:
                if k != low_rank:  # one rank's low-pass scores at a time (grids go by rank)
                    torch.matmul(projected[:, :k], self.lift[:, :k].T, out=low_pass)
                    if sharpens:
                        lift = self.sharpened_lift()[:, :k]
                        torch.matmul(projected[:, :k], lift.T, out=low_sharp)
                    low_rank = k
                scores.add_(low_pass, alpha=alpha)
                if sharpen > 0:
                    scores.add_(low_sharp, alpha=-alpha * sharpen)
            yield point, scores
