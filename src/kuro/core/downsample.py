"""Downsampling of a long series that keeps its extremes (min-max decimation)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["minmax_indices"]


def minmax_indices(values: Sequence[float | None], max_points: int) -> list[int]:
    """Indices of at most ``max_points`` points that keep the first, the last, and each
    bucket's minimum and maximum, in order; NaN (or ``None``, how a database row holds it)
    is never chosen as an extreme.

    >>> minmax_indices([0.0, 5.0, 1.0, float("nan"), -3.0, 2.0, 0.5, 1.0], 6)
    [0, 1, 2, 4, 5, 7]
    """
    n = len(values)
    if max_points <= 0 or n <= max_points:
        return list(range(n))
    if max_points < 4:
        return sorted({0, n - 1})[:max_points]
    n_buckets = (max_points - 2) // 2
    inner = n - 2
    keep = [0]
    for b in range(n_buckets):
        lo = 1 + b * inner // n_buckets
        hi = 1 + (b + 1) * inner // n_buckets
        if lo >= hi:
            continue
        best_lo = best_hi = -1
        lo_value = hi_value = 0.0
        for i in range(lo, hi):
            v = values[i]
            if v is None or v != v:
                continue
            if best_lo < 0 or v < lo_value:
                best_lo, lo_value = i, v
            if best_hi < 0 or v > hi_value:
                best_hi, hi_value = i, v
        if best_lo < 0:
            keep.append(lo)
            continue
        keep.extend(sorted({best_lo, best_hi}))
    keep.append(n - 1)
    return keep
