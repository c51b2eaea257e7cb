"""Downsampling of a long series that keeps its extremes (min-max decimation): one home for
the rule of the server's downsampled reads (``bucket_extremes`` over a bucket's blocks) and
the dashboard's curves (``minmax_indices`` over a mean's points). It needs numpy, so only
the server and the dashboard import it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["bucket_extremes", "minmax_indices", "minmax_union"]

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]


def bucket_extremes(values: Float, heads: Int, rank: Int, which: str) -> Int:
    """The index of the first value of each bucket (runs of ``values`` starting at
    ``heads``, none empty; ``rank``: each value's bucket, 0, 1...) that is the bucket's
    minimum (``which`` "min") or maximum, NaN skipped; its first value if all are NaN. For
    downsampled reads (a bucket's units) and the dashboard's curves (a bucket's points)."""
    worst, best = (np.inf, np.minimum) if which == "min" else (-np.inf, np.maximum)
    sizes = np.diff(np.r_[heads, len(values)])
    nan = np.isnan(values)
    if not nan.any():  # the usual case: a few numpy calls fewer over every value
        hit = np.flatnonzero(values == np.repeat(best.reduceat(values, heads), sizes))
        return hit[np.r_[True, rank[hit[1:]] != rank[hit[:-1]]]]
    key = np.where(nan, worst, values)
    target = np.repeat(best.reduceat(key, heads), sizes)
    has_real = np.repeat(np.logical_or.reduceat(~nan, heads), sizes)
    hit = np.flatnonzero((key == target) & ~(nan & has_real))
    # The first hit of each bucket: hits are in bucket order, at least one a bucket.
    return hit[np.r_[True, rank[hit[1:]] != rank[hit[:-1]]]]


def minmax_indices(values: Sequence[float | None] | Float, max_points: int) -> Int:
    """Indices of at most ``max_points`` points that keep the first, the last, and each
    bucket's minimum and maximum, in order; NaN (or ``None``, how a database row holds it)
    is never chosen as an extreme (a bucket of NaN keeps its first point). In numpy calls.

    >>> minmax_indices([0.0, 5.0, 1.0, float("nan"), -3.0, 2.0, 0.5, 1.0], 6).tolist()
    [0, 1, 2, 4, 5, 7]
    """
    values = np.asarray(values, dtype=np.float64)  # None becomes NaN
    n = len(values)
    if max_points <= 0 or n <= max_points:
        return np.arange(n)
    if max_points < 4:
        return np.array(sorted({0, n - 1})[:max_points], dtype=np.int64)
    n_buckets = (max_points - 2) // 2
    inner = n - 2
    starts = 1 + np.arange(n_buckets + 1) * inner // n_buckets
    lo, hi = starts[:-1], starts[1:]
    lo = lo[lo < hi]  # n > max_points: every bucket holds a point; kept for safety
    middle = values[1 : n - 1]
    heads = lo - 1
    rank = np.repeat(np.arange(len(lo)), np.diff(np.r_[heads, inner]))
    low = bucket_extremes(middle, heads, rank, "min")
    high = bucket_extremes(middle, heads, rank, "max")
    a, b = np.minimum(low, high) + 1, np.maximum(low, high) + 1
    pairs = np.column_stack([a, b]).ravel()
    keep = np.ones(len(pairs), dtype=bool)
    keep[1::2] = b != a
    return np.concatenate([[0], pairs[keep], [n - 1]]).astype(np.int64)


def minmax_union(lines: Sequence[Float], max_points: int) -> Int:
    """Indices of at most ``max_points`` points (of lines of one length, drawn together: a
    mean and its band's edges) that keep each line's first and last points and its
    buckets' minima and maxima (``minmax_indices``), as finely as the budget allows: the
    lines' choices overlap where they move together, so the buckets are made finer until
    their union would pass ``max_points``. Where even the coarsest union would, the first
    line's alone (the mean's extremes).

    >>> up = np.array([1.0, 1, 1, 9, 1, 1, 1, 1]); down = np.array([1.0, 1, 1, -7, 1, 1, 1, 1])
    >>> mean = (up + down) / 2  # flat: its extremes alone would miss the spike at 3
    >>> minmax_union([mean, up, down], 6).tolist()
    [0, 1, 3, 4, 7]
    """
    n = len(lines[0])
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    best: Int | None = None
    budget = max(4, max_points // len(lines))
    while budget <= max_points:
        keep = np.unique(np.concatenate([minmax_indices(line, budget) for line in lines]))
        if len(keep) > max_points:
            break
        best = keep
        if budget == max_points or len(keep) > 0.9 * max_points:
            break
        budget = min(max_points, max(budget + 1, budget * max_points // len(keep)))
    return minmax_indices(lines[0], max_points) if best is None else best
