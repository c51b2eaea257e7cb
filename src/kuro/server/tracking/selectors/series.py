"""Reading metric series out of their chunks; every reader of points goes through here.

A read costs per chunk, not per point: the chunks overlapping the steps asked for are
found by the unique (trial, metric, first_step) index, and a downsampled read decodes only
the first and last of them, taking each other chunk's extremes from its columns or its
per-block statistics (whichever is finer than a bucket), so that a 1,000-point view of a
million steps reads about a thousand rows and no points. See ``docs/storage.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import numpy as np
from django.db import connection

from kuro.server.tracking.chunks import (
    BLOCK_POINTS,
    CHUNK_POINTS,
    PACKED_POINTS,
    Points,
    decode_many_blocks,
    decode_many_points,
)
from kuro.server.tracking.models import Chunk

__all__ = ["SeriesView", "series_at_step", "series_points", "series_view"]

Key = tuple[int, int]  # (trial id, metric id)

_COLUMNS = (
    "pk",
    "trial_id",
    "metric_id",
    "first_step",
    "last_step",
    "count",
    "first_time",
    "min_step",
    "min_value",
    "min_time",
    "max_step",
    "max_value",
    "max_time",
)


@dataclass(frozen=True, slots=True)
class SeriesView:
    """Points of a series in a range of steps: all of them (``sampled`` false), or the
    first, the last and each bucket's minimum and maximum (``sampled`` true). ``count`` is
    the number of points in the range either way."""

    points: Points
    count: int
    sampled: bool


def _chunks(
    trial_ids: Collection[int],
    metric_ids: Collection[int],
    step_min: int | None,
    step_max: int | None,
    fields: Iterable[str],
) -> list[tuple]:
    """Rows (``fields``) of the chunks of these series overlapping the steps, in series
    and step order."""
    rows = Chunk.objects.filter(trial_id__in=list(trial_ids), metric_id__in=list(metric_ids))
    if step_min is not None:
        rows = rows.filter(last_step__gte=step_min)
    if step_max is not None:
        rows = rows.filter(first_step__lte=step_max)
    return list(rows.order_by("trial_id", "metric_id", "first_step").values_list(*fields))


def _payloads(ids: list[int], field: str = "payload") -> dict[int, bytes]:
    """id -> the ``field`` blob of these chunks (in SQL: the ORM's cost per id in a long
    IN list would show)."""
    out: dict[int, bytes] = {}
    table = Chunk._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            batch = ids[start : start + 5000]
            cursor.execute(
                f"SELECT id, {field} FROM {table} WHERE id IN ({', '.join(['%s'] * len(batch))})",
                batch,
            )
            out.update((pk, bytes(blob)) for pk, blob in cursor.fetchall())
    return out


def _in_range(points: Points, step_min: int | None, step_max: int | None) -> Points:
    if step_min is None and step_max is None:
        return points
    lo = 0 if step_min is None else int(np.searchsorted(points.steps, step_min, "left"))
    hi = len(points) if step_max is None else int(np.searchsorted(points.steps, step_max, "right"))
    return points.slice(lo, hi)


def _concat(parts: list[Points]) -> Points:
    if len(parts) == 1:
        return parts[0]
    return Points(
        np.concatenate([p.steps for p in parts]),
        np.concatenate([p.values for p in parts]),
        np.concatenate([p.times for p in parts]),
    )


def series_points(
    *,
    trial_ids: Collection[int],
    metric_ids: Collection[int],
    step_min: int | None = None,
    step_max: int | None = None,
) -> dict[Key, Points]:
    """(trial id, metric id) -> every point of that series in the steps (inclusive), exact;
    series without a point there are absent."""
    rows = _chunks(trial_ids, metric_ids, step_min, step_max, ("trial_id", "metric_id", "payload"))
    decoded = decode_many_points([bytes(blob) for _, _, blob in rows])
    parts: dict[Key, list[Points]] = defaultdict(list)
    for (trial_id, metric_id, _), points in zip(rows, decoded, strict=True):
        parts[(trial_id, metric_id)].append(points)
    out = {}
    for key, chunks in parts.items():
        points = _in_range(_concat(chunks), step_min, step_max)
        if len(points):
            out[key] = points
    return out


def series_at_step(*, metric_id: int, trial_ids: Collection[int], step: int) -> dict[int, float]:
    """trial id -> its value of the metric at ``step`` (NaN as ``math.nan``); trials
    without that step are absent."""
    found = series_points(trial_ids=trial_ids, metric_ids=[metric_id], step_min=step, step_max=step)
    return {trial_id: float(points.values[0]) for (trial_id, _), points in found.items()}


def series_view(
    *,
    trial_ids: Collection[int],
    metric_ids: Collection[int],
    max_points: int,
    step_min: int | None = None,
    step_max: int | None = None,
) -> dict[Key, SeriesView]:
    """(trial id, metric id) -> its points in the steps, at most ``max_points`` of them
    (at least 2): a longer range keeps its first and last points and each bucket's minimum
    and maximum (NaN never an extreme), read from the chunks' statistics where a bucket
    spans whole blocks or chunks."""
    rows = _chunks(trial_ids, metric_ids, step_min, step_max, _COLUMNS)
    by_series: dict[Key, list[tuple]] = defaultdict(list)
    for row in rows:
        by_series[(row[1], row[2])].append(row)
    # The first and last chunk of each range are decoded (they may be cut by the range,
    # and hold the exact first and last points); the chunks between lie wholly inside.
    edges = sorted({rs[i][0] for rs in by_series.values() for i in (0, -1)})
    edge_blobs = _payloads(edges)
    edge_points = dict(
        zip(edges, decode_many_points([edge_blobs[pk] for pk in edges]), strict=True)
    )
    plans: dict[Key, tuple[str, list[tuple]]] = {}
    need: dict[str, list[int]] = {"payload": [], "blocks": []}
    counts: dict[Key, int] = {}
    for key, rs in by_series.items():
        first = _in_range(edge_points[rs[0][0]], step_min, step_max)
        last = _in_range(edge_points[rs[-1][0]], step_min, step_max) if len(rs) > 1 else None
        inner = rs[1:-1]
        n = len(first) + (len(last) if last is not None else 0) + sum(r[5] for r in inner)
        counts[key] = n
        width = (n - 2) / max(1, (max_points - 2) // 2)
        if n <= max_points or width < BLOCK_POINTS or not inner:
            level = "payload"
        elif width < CHUNK_POINTS:
            level = "blocks"
        else:
            level = "chunk"
        plans[key] = (level, inner)
        for r in inner if level != "chunk" else ():
            # Only packed chunks have block statistics; others are read point by point.
            need["blocks" if level == "blocks" and r[5] >= PACKED_POINTS else "payload"].append(
                r[0]
            )
    payloads = _payloads(need["payload"])
    inner_points = dict(
        zip(
            need["payload"],
            decode_many_points([payloads[pk] for pk in need["payload"]]),
            strict=True,
        )
    )
    blobs = _payloads(need["blocks"], "blocks")
    count_of = {r[0]: r[5] for r in rows}
    inner_blocks = dict(
        zip(
            need["blocks"],
            decode_many_blocks(
                [blobs[pk] for pk in need["blocks"]], [count_of[pk] for pk in need["blocks"]]
            ),
            strict=True,
        )
    )
    out = {}
    for key, (level, inner) in plans.items():
        rs = by_series[key]
        first = _in_range(edge_points[rs[0][0]], step_min, step_max)
        last = _in_range(edge_points[rs[-1][0]], step_min, step_max) if len(rs) > 1 else None
        n = counts[key]
        if n == 0:
            continue
        if level == "payload":
            parts = [first, *(inner_points[r[0]] for r in inner)]
            points = _concat(parts + ([last] if last is not None else []))
            if n <= max_points:
                out[key] = SeriesView(points, n, False)
                continue
            units = _Units.of_points(points)
        else:
            if level == "chunk":
                middle = _Units.of_chunks(inner)
            elif all(r[0] in inner_blocks for r in inner):
                middle = _Units.of_blocks([inner_blocks[r[0]] for r in inner])
            else:
                middle = _Units.join(
                    [
                        _Units.of_blocks([inner_blocks[r[0]]])
                        if r[0] in inner_blocks
                        else _Units.of_points(inner_points[r[0]])
                        for r in inner
                    ]
                )
            units = _Units.join(
                [_Units.of_points(first), middle]
                + ([_Units.of_points(last)] if last is not None else [])
            )
        out[key] = SeriesView(_minmax(units, n, max_points), n, True)
    return out


@dataclass(frozen=True, slots=True)
class _Units:
    """Consecutive runs of points (single points, blocks or chunks) with their counts and
    extremes (NaN when the run holds only NaN, its first point then)."""

    counts: np.ndarray
    min_steps: np.ndarray
    min_values: np.ndarray
    min_times: np.ndarray
    max_steps: np.ndarray
    max_values: np.ndarray
    max_times: np.ndarray

    @classmethod
    def of_points(cls, p: Points) -> _Units:
        ones = np.ones(len(p), dtype=np.int64)
        return cls(ones, p.steps, p.values, p.times, p.steps, p.values, p.times)

    @classmethod
    def of_blocks(cls, blocks: list) -> _Units:
        return cls(*(np.concatenate([getattr(b, f) for b in blocks]) for f in _UNIT_FIELDS))

    @classmethod
    def of_chunks(cls, rows: list[tuple]) -> _Units:
        """Units of whole chunks, from their columns (rows of ``_COLUMNS``); a NULL
        extreme (every value NaN) becomes NaN."""
        columns = dict(zip(_COLUMNS, zip(*rows, strict=True), strict=True))
        return cls(
            **{
                unit: np.array(columns[column], dtype=np.int64 if kind == "i" else np.float64)
                for unit, column, kind in _CHUNK_UNITS
            }
        )

    @classmethod
    def join(cls, parts: list[_Units]) -> _Units:
        return cls(*(np.concatenate([getattr(u, f) for u in parts]) for f in _UNIT_FIELDS))


_CHUNK_UNITS = (
    ("counts", "count", "i"),
    ("min_steps", "min_step", "i"),
    ("min_values", "min_value", "f"),
    ("min_times", "min_time", "f"),
    ("max_steps", "max_step", "i"),
    ("max_values", "max_value", "f"),
    ("max_times", "max_time", "f"),
)
_UNIT_FIELDS = (
    "counts",
    "min_steps",
    "min_values",
    "min_times",
    "max_steps",
    "max_values",
    "max_times",
)


def _minmax(units: _Units, n: int, max_points: int) -> Points:
    """The first and last points and each bucket's minimum and maximum, in step order.

    ``units[0]`` and ``units[-1]`` are the first and last points themselves. The ``n - 2``
    points between are cut into ``(max_points - 2) // 2`` buckets of equal counts; a unit
    (a point, a block, a chunk) falls in the bucket of its first point. A bucket whose
    values are all NaN keeps its first point (a NaN-only unit's extremes are its first)."""
    ends = np.array([0, len(units.counts) - 1])
    if max_points < 4 or len(units.counts) <= 2:
        return Points(units.min_steps[ends], units.min_values[ends], units.min_times[ends])
    n_buckets = (max_points - 2) // 2
    # How many of the n - 2 inner points come before each middle unit.
    inner_starts = np.cumsum(np.r_[0, units.counts[1:-2]])
    bucket = (inner_starts * n_buckets) // max(n - 2, 1)
    # Where each bucket's units start (units are in order, so buckets are runs).
    heads = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    sizes = np.diff(np.r_[heads, len(bucket)])
    steps = [units.min_steps[ends]]
    values = [units.min_values[ends]]
    times = [units.min_times[ends]]
    for which, worst, best in (("min", np.inf, np.minimum), ("max", -np.inf, np.maximum)):
        extremes = getattr(units, f"{which}_values")[1:-1]
        nan = np.isnan(extremes)
        key = np.where(nan, worst, extremes)
        target = np.repeat(best.reduceat(key, heads), sizes)
        has_real = np.repeat(np.logical_or.reduceat(~nan, heads), sizes)
        # The first unit holding the bucket's extreme; NaN only where the bucket has no
        # other value (its first unit then, whose extremes are its first point).
        hit = np.flatnonzero((key == target) & ~(nan & has_real))
        first_hit = hit[np.r_[True, bucket[hit][1:] != bucket[hit][:-1]]] + 1
        steps.append(getattr(units, f"{which}_steps")[first_hit])
        values.append(getattr(units, f"{which}_values")[first_hit])
        times.append(getattr(units, f"{which}_times")[first_hit])
    all_steps = np.concatenate(steps)
    order = np.argsort(all_steps, kind="stable")
    all_steps = all_steps[order]
    keep = np.r_[True, all_steps[1:] != all_steps[:-1]]
    return Points(
        all_steps[keep], np.concatenate(values)[order][keep], np.concatenate(times)[order][keep]
    )
