"""How a training process uses its host: torch's intra-op threads, and freed memory kept.

A training step on a large graph allocates a dozen node-sized tables (propagated layers, their
gradients) and frees them all at its end. glibc's malloc then hands the top of its heap back to
the kernel as soon as more than twice its (self-tuned) mmap threshold lies free there, so the
next step faults every page of those tables in again: on Gowalla about 7,000 page faults and
a twentieth of a LightGCN step. Kept for reuse instead, the same pages serve every step
(BENCHMARKS.md, "Freed memory kept").
"""

from __future__ import annotations

import ctypes
import functools
import sys

import torch

RETAINED_BYTES = 512 << 20
"""Free memory glibc may keep at its heap's top before returning it to the kernel: a Gowalla
step churns about 200 MB of tables. Resident memory may stay this much above what is in use."""

MMAP_BYTES = 32 << 20
"""Blocks this large or larger get their own mapping, returned to the kernel when freed (the
highest threshold glibc accepts). Fixing it stops glibc's own tuning, which would lower the
retained amount back to twice the largest block freed."""

_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def prepare_host(threads: int) -> None:
    """Set torch's intra-op threads; keep freed memory for reuse (:func:`retain_freed_memory`)."""
    torch.set_num_threads(threads)
    retain_freed_memory()


@functools.cache
def retain_freed_memory() -> bool:
    """Tell glibc's malloc to keep up to :data:`RETAINED_BYTES` of freed memory for reuse.

    Process-wide and done once. Returns whether it applied: False where the C library is not
    glibc (macOS, Windows, musl), where nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None)  # the C library this process already runs on
    if not hasattr(libc, "gnu_get_libc_version"):
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    fixed = mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)
    return bool(fixed and mallopt(_M_TRIM_THRESHOLD, RETAINED_BYTES))
