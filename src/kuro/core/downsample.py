"""Downsampling of a long series that keeps its extremes (min-max decimation)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["minmax_indices"]


def minmax_indices(values: Sequence[float | None], max_points: int) -> list[int]:
    """Indices of at most ``max_points`` points that keep the first, the last, and each
    bucket's minimum and maximum, in order; ``None`` (NaN) is never chosen as an extreme.
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
        best_lo = best_hi = None
        for i in range(lo, hi):
            v = values[i]
            if v is None:
                continue
            if best_lo is None or v < values[best_lo]:
                best_lo = i
            if best_hi is None or v > values[best_hi]:
                best_hi = i
        if best_lo is None:
            keep.append(lo)
            continue
        keep.extend(sorted({best_lo, best_hi}))
    keep.append(n - 1)
    return keep
