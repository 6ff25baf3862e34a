"""Sparse adjacency with a cached transpose, so propagation's backward pass is one more product.

``torch.sparse.mm`` on a CSR matrix rebuilds the transpose (a sort plus a CSR conversion) in
every backward pass; for LightGCN-style models that is most of a training step. The graph is
fixed during training, so the transpose is built once here and reused.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

import torch
from torch import Tensor

from lgnas.graph.ordering import lexsort

# CSR products are stable for what is used here (matrix @ dense); the beta notice is noise.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


def _product(matrix: Tensor, x: Tensor) -> Tensor:
    """``matrix @ x`` in the matrix's dtype, returned in ``x``'s.

    CSR kernels exist for the matrix's own dtype only, so under mixed precision autocast is
    switched off here and ``x`` cast instead (no cost when nothing needs casting). On the CPU
    the product is written straight into a fresh buffer: ``matrix @ x`` zero-fills one and
    copies the result out of another, about a tenth of the product's time on large graphs.
    """
    device = x.device.type
    guard = (
        torch.autocast(device, enabled=False)
        if torch.is_autocast_enabled(device)
        else contextlib.nullcontext()
    )
    with guard:
        operand = x.to(matrix.dtype)
        if device != "cpu":
            return (matrix @ operand).to(x.dtype)
        out = operand.new_empty(matrix.shape[0], operand.shape[1])
        return torch.addmm(out, matrix, operand, beta=0.0, out=out).to(x.dtype)


class _SparseMatmul(torch.autograd.Function):
    """``A @ x`` whose gradient w.r.t. ``x`` is ``A.T @ grad``, with ``A.T`` given up front."""

    @staticmethod
    def forward(ctx, x: Tensor, matrix: Tensor, transpose: Tensor) -> Tensor:  # type: ignore[override]
        ctx.transpose = transpose
        return _product(matrix, x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, None, None]:  # type: ignore[override]
        return _product(ctx.transpose, grad), None, None


class _WeightedMatmul(torch.autograd.Function):
    """``W @ x`` for a matrix ``W`` of the adjacency's structure whose entries (one per CSR
    slot) are learnt: attention. Both gradients are sparse products, never per-edge copies of
    ``x``: ``W.T @ grad`` for ``x``, and for the entries the sampled product
    ``(grad @ x.T)`` at the structure's slots (SDDMM)."""

    @staticmethod
    def forward(ctx, weights: Tensor, x: Tensor, adjacency: SparseAdjacency) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(weights, x)
        ctx.adjacency = adjacency
        return _product(adjacency._csr(adjacency.crow, adjacency.ccol, weights), x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None]:  # type: ignore[override]
        weights, x = ctx.saved_tensors
        adjacency = ctx.adjacency
        grad_weights = grad_x = None
        if ctx.needs_input_grad[0]:
            pattern = adjacency._csr(adjacency.crow, adjacency.ccol, weights.detach())
            grad_weights = torch.sparse.sampled_addmm(
                pattern, grad.to(weights.dtype), x.to(weights.dtype).T, beta=0.0
            ).values()
        if ctx.needs_input_grad[1]:
            slots = adjacency.transpose_slots()
            transpose = adjacency._csr(adjacency.tcrow, adjacency.tcol, weights[slots])
            grad_x = _product(transpose, grad)
        return grad_weights, grad_x, None


def _csr_layout(
    row: Tensor, col: Tensor, size: int, order: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """CSR row pointers, column indices and the COO entry stored in each CSR slot (``order``:
    the entries by row, then column, found here unless given).

    Pointers and columns are int32 where they fit: the CPU's sparse kernels (MKL) take
    int32 indices and would otherwise convert both in every product.
    """
    if order is None:
        order = torch.from_numpy(lexsort((col.numpy(), row.numpy())))
    index = torch.int32 if max(size, row.numel()) < torch.iinfo(torch.int32).max else torch.int64
    counts = torch.bincount(row, minlength=size)
    crow = torch.zeros(size + 1, dtype=torch.int64)
    torch.cumsum(counts, 0, out=crow[1:])
    columns = torch.index_select(col, 0, order)  # half the time of col[order]
    return crow.to(index), columns.to(index), order


class SparseAdjacency(torch.nn.Module):
    """A fixed-structure square sparse matrix (CSR) plus its transpose, for fast ``A @ x``.

    Entries are given in COO form (``row``, ``col``, ``value``). Values can be replaced per call
    (edge dropout zeroes some) without rebuilding the structure: :meth:`matmul` takes optional
    per-entry values in the original COO order. Tensors are non-persistent buffers, so the
    matrix moves with its module between devices but stays out of checkpoints.

    Args:
        row: Row index of each entry, shape ``[nnz]``.
        col: Column index of each entry, shape ``[nnz]``; ``(row, col)`` pairs must be unique.
        value: Value of each entry, shape ``[nnz]``.
        size: Number of rows (= columns).
        order: Optional, the entries' indices sorted by row, then column, when the caller
            knows them cheaper than a sort (a bipartite graph does).
        mirrored: Optional, for a matrix whose every entry ``(r, c)`` has an entry ``(c, r)``
            (an undirected graph's), with ``order``: per position of ``order``, the index of
            that entry's ``(c, r)``. The transpose then shares the matrix's row pointers and
            columns, and is laid out without a second sort.
    """

    def __init__(
        self,
        row: Tensor,
        col: Tensor,
        value: Tensor,
        size: int,
        order: Tensor | None = None,
        mirrored: Tensor | None = None,
    ) -> None:
        super().__init__()
        if mirrored is not None and order is None:
            raise ValueError("SparseAdjacency: 'mirrored' is per position of 'order'; give both")
        self.size = size
        row, col = row.long().cpu(), col.long().cpu()
        crow, ccol, order = _csr_layout(row, col, size, None if order is None else order.cpu())
        if mirrored is None:
            tcrow, tcol, torder = _csr_layout(col, row, size)
        else:  # slot s of the transpose holds the value of order[s]'s mirror entry
            tcrow, tcol, torder = crow, ccol, mirrored.long().cpu()
        for name, tensor in {
            "crow": crow,
            "ccol": ccol,
            "order": order,
            "tcrow": tcrow,
            "tcol": tcol,
            "torder": torder,
            "value": value.float().cpu(),
        }.items():
            self.register_buffer(name, tensor, persistent=False)

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return int(self.value.numel())

    def _csr(
        self, crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int] | None = None
    ) -> Tensor:
        return torch.sparse_csr_tensor(
            crow, col, values, shape or (self.size, self.size), check_invariants=False
        )

    def _matrices(self, value: Tensor) -> tuple[Tensor, Tensor]:
        matrix = self._csr(self.crow, self.ccol, value[self.order])
        transpose = self._csr(self.tcrow, self.tcol, value[self.torder])
        return matrix, transpose

    def matmul(self, x: Tensor, value: Tensor | None = None) -> Tensor:
        """Return ``A @ x``, differentiable w.r.t. ``x``; ``value`` overrides the entries."""
        if value is None:
            # The stored values rarely change: reuse their CSR pair until the buffer moves.
            key = (self.value.data_ptr(), self.value.device)
            if getattr(self, "_cached_key", None) != key:
                self._cached_key, self._cached = key, self._matrices(self.value)
            matrix, transpose = self._cached
        else:
            # Replaced values (a step's edge dropout) serve every product of that step: keep
            # their pair while the same, unchanged tensor comes back (held, so its identity
            # stays unique; the version counter tells an in-place change).
            version = None if value.is_inference() else value._version
            held = getattr(self, "_replaced", None)
            if held is None or held[0] is not value or held[1] != version:
                self._replaced = held = (value, version, self._matrices(value))
            matrix, transpose = held[2]
        return _SparseMatmul.apply(x, matrix, transpose)

    def matmul_rows(self, x: Tensor, rows: Tensor, value: Tensor | None = None) -> Tensor:
        """``(A @ x)[rows]`` for distinct ``rows``, differentiable w.r.t. ``x``; ``value``
        overrides the entries as in :meth:`matmul`.

        Only those rows' entries are multiplied, forward and backward: a training step that
        scores 6k of Gowalla's 71k nodes computes its last layer so, at a sixth of the
        entries (:meth:`GNNRecommender.batch_representations`). The backward's ``A[rows].T``
        is laid out per call, by one sort of those entries.
        """
        with torch.no_grad():
            count = self._derived("row_counts", lambda: self.crow.diff().long())[rows]
            total = int(count.sum())
            sub_crow = torch.zeros(len(rows) + 1, dtype=torch.int64, device=rows.device)
            torch.cumsum(count, 0, out=sub_crow[1:])
            first = self.crow[rows].long() - sub_crow[:-1]  # each row's slots, shifted
            slots = torch.repeat_interleave(first, count, output_size=total)
            slots += torch.arange(total, device=rows.device)
            columns = self.ccol[slots]
            values = (self.value if value is None else value)[self.order[slots]]
            position = torch.arange(len(rows), device=rows.device)
            position = torch.repeat_interleave(position, count, output_size=total)
            by_column = torch.argsort(columns, stable=True)  # keeps positions sorted per column
            t_crow = torch.zeros(self.size + 1, dtype=torch.int64, device=rows.device)
            torch.cumsum(torch.bincount(columns.long(), minlength=self.size), 0, out=t_crow[1:])
            index = self.crow.dtype
            matrix = self._csr(sub_crow.to(index), columns, values, (len(rows), self.size))
            transpose = self._csr(
                t_crow.to(index),
                position[by_column].to(index),
                values[by_column],
                (self.size, len(rows)),
            )
        return _SparseMatmul.apply(x, matrix, transpose)

    def slot_rows(self) -> Tensor:
        """The row of each CSR slot (the slots are the entries, sorted by row then column)."""
        return self._derived("slot_rows", lambda: torch.repeat_interleave(
            torch.arange(self.size, device=self.crow.device), self.crow.diff()
        ))  # fmt: skip

    def transpose_slots(self) -> Tensor:
        """Per slot of the transpose, the CSR slot holding the same entry."""

        def slots() -> Tensor:
            position = torch.empty_like(self.order)
            position[self.order] = torch.arange(self.order.numel(), device=self.order.device)
            return position[self.torder]

        return self._derived("transpose_slots", slots)

    def _derived(self, name: str, build: Callable[[], Tensor]) -> Tensor:
        """An index derived from the structure, built on first use (only attention needs
        one) and again after the buffers move."""
        cache = self.__dict__.setdefault("_derived_cache", {})
        known = cache.get(name)
        if known is None or known.device != self.crow.device:
            cache[name] = known = build()
        return known

    def weighted_matmul(self, weights: Tensor, x: Tensor) -> Tensor:
        """``W @ x`` for ``W`` of this structure with the entries ``weights``, one per CSR slot
        (in :meth:`slot_rows` order), differentiable w.r.t. both."""
        return _WeightedMatmul.apply(weights, x, self)

    def to_dense(self) -> Tensor:
        """The matrix as a dense tensor (for tests and small graphs)."""
        return self._csr(self.crow, self.ccol, self.value[self.order]).to_dense()
