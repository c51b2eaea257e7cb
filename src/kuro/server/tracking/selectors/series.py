"""Reading metric series out of their chunks; every reader of points goes through here.

A read costs per chunk, not per point: the chunks overlapping the steps asked for are
found by the unique (trial, metric, first_step) index. A downsampled read decodes the
points only of the chunks the range cuts (at most two a series), and of short ones; it
takes the other chunks' first and last points and extremes from their columns or their
``blocks`` (whichever is finer than a bucket), for all the series at once in a few numpy
calls, so that a 1,000-point view of a million steps reads about a thousand rows and no
points. See ``docs/storage.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection

from kuro.core.downsample import bucket_extremes
from kuro.server.tracking.chunks import (
    BLOCK_POINTS,
    CHUNK_POINTS,
    PACKED_POINTS,
    Blocks,
    BlockTable,
    Points,
    decode_many_blocks,
    decode_many_points,
)
from kuro.server.tracking.models import Chunk

__all__ = ["SeriesView", "series_at_step", "series_points", "series_view"]

Key = tuple[int, int]  # (trial id, metric id)
Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]

# The columns a downsampled read needs of each chunk (no blob).
_COLUMNS = (
    "id",
    "trial_id",
    "metric_id",
    "first_step",
    "last_step",
    "count",
    "min_step",
    "min_value",
    "min_time",
    "max_step",
    "max_value",
    "max_time",
)
_INTS = frozenset({"id", "trial_id", "metric_id", "first_step", "last_step", "count"})
_INTS |= {"min_step", "max_step"}

# How a downsampled read takes a chunk: its points, its blocks' statistics, or its columns.
_POINTS, _BLOCKS, _CHUNK = 0, 1, 2


@dataclass(frozen=True, slots=True)
class SeriesView:
    """Points of a series in a range of steps: all of them (``sampled`` false), or the
    first, the last and each bucket's minimum and maximum (``sampled`` true). ``count`` is
    the number of points in the range either way."""

    points: Points
    count: int
    sampled: bool


@contextmanager
def _cursor() -> Iterator[Any]:
    """A cursor for the reads of chunks. On PostgreSQL its results come in binary format:
    a ``bytea`` as its bytes, not as hex text (half the bytes on the wire, and no hex to
    decode: at 10,000 steps a downsampled read of 100 trials fetches 6 MB of ``blocks``,
    and decoding their hex took a third of its time), numbers without text to parse.
    Django's cursor binds parameters on the client (the write path sends statements
    joined by ``;`` so), which psycopg allows with text results only; this one binds them
    on the server. It still goes through Django's wrapper (query logging, execute
    wrappers) and the connection's transaction. Never prepared: the connection's
    ``prepare_threshold`` is None."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    import psycopg

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    raw.format = psycopg.pq.Format.BINARY
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:
        yield cursor


def _among(column: str, ids: list[int]) -> tuple[str, list[Any]]:
    """SQL for ``column`` among ``ids``, and its parameters: one array on PostgreSQL, not
    hundreds or thousands of parameters; a list of them on SQLite."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _chunks(
    trial_ids: Collection[int],
    metric_ids: Collection[int],
    step_min: int | None,
    step_max: int | None,
    fields: Sequence[str],
) -> list[tuple]:
    """Rows (``fields``) of the chunks of these series overlapping the steps, in series
    and step order (in SQL: the ORM's cost per query would show in short reads)."""
    trials, metrics = [int(t) for t in trial_ids], [int(m) for m in metric_ids]
    if not trials or not metrics:
        return []
    by_trial, trial_params = _among("trial_id", trials)
    by_metric, metric_params = _among("metric_id", metrics)
    where = [by_trial, by_metric]
    params: list[Any] = [*trial_params, *metric_params]
    if step_min is not None:
        where.append("last_step >= %s")
        params.append(step_min)
    if step_max is not None:
        where.append("first_step <= %s")
        params.append(step_max)
    with _cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(fields)} FROM {Chunk._meta.db_table} "
            f"WHERE {' AND '.join(where)} ORDER BY trial_id, metric_id, first_step",
            params,
        )
        return cursor.fetchall()


def _blobs(ids: list[int], field: str) -> dict[int, bytes]:
    """id -> the ``field`` blob of these chunks."""
    out: dict[int, bytes] = {}
    table = Chunk._meta.db_table
    if not ids:
        return out
    # One array on PostgreSQL; on SQLite batches within its limit of parameters.
    size = len(ids) if connection.vendor == "postgresql" else 5000
    with _cursor() as cursor:
        for start in range(0, len(ids), size):
            where, params = _among("id", ids[start : start + size])
            cursor.execute(f"SELECT id, {field} FROM {table} WHERE {where}", params)
            out.update((pk, bytes(blob)) for pk, blob in cursor.fetchall())
    return out


def _decoded(ids: list[int]) -> list[Points]:
    """The points of these chunks, in this order."""
    blobs = _blobs(ids, "payload")
    return decode_many_points([blobs[pk] for pk in ids])


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
    spans whole blocks or chunks. Every point returned is a stored point, bit for bit."""
    rows = _chunks(trial_ids, metric_ids, step_min, step_max, _COLUMNS)
    if not rows:
        return {}
    c: dict[str, np.ndarray] = {
        name: np.array(column, dtype=np.int64 if name in _INTS else np.float64)
        for name, column in zip(_COLUMNS, zip(*rows, strict=True), strict=True)
    }
    # The chunks the range cuts (the first and last of a series at most) are decoded, and
    # their points in the range counted; a chunk left without a point there is dropped.
    cut = np.zeros(len(rows), dtype=bool)
    if step_min is not None:
        cut |= c["first_step"] < step_min
    if step_max is not None:
        cut |= c["last_step"] > step_max
    cut_ids = c["id"][cut].tolist()
    points_of = {
        pk: _in_range(p, step_min, step_max)
        for pk, p in zip(cut_ids, _decoded(cut_ids), strict=True)
    }
    counts = c["count"].copy()
    counts[cut] = [len(points_of[pk]) for pk in cut_ids]
    keep = counts > 0
    if not keep.all():
        c = {name: column[keep] for name, column in c.items()}
        cut, counts = cut[keep], counts[keep]
        if not len(counts):
            return {}
    n_rows = len(counts)
    heads = np.r_[True, (np.diff(c["trial_id"]) != 0) | (np.diff(c["metric_id"]) != 0)]
    starts = np.flatnonzero(heads)
    stops = np.r_[starts[1:], n_rows]
    series_of = np.cumsum(heads) - 1
    n = np.add.reduceat(counts, starts)
    sampled = n > max_points
    n_buckets = (max_points - 2) // 2
    # Each sampled series is read at the finest level coarser than its buckets: points,
    # blocks or chunks; a short chunk (no blocks) and a cut one always as points.
    width = (n - 2) / max(1, n_buckets)
    level = np.where(width < BLOCK_POINTS, _POINTS, np.where(width < CHUNK_POINTS, _BLOCKS, _CHUNK))
    level[~sampled] = _POINTS
    if n_buckets == 0:  # the first and last points only
        level[sampled] = _CHUNK
    mode = level[series_of]
    mode[cut | (c["count"] < PACKED_POINTS)] = _POINTS
    # A chunk's columns are floats: SQLite keeps -0.0 as 0, NULL drops a NaN's payload;
    # where they may not be exact, the chunk is read from its blocks instead.
    exact = np.ones(n_rows, dtype=bool)
    for column in ("min_value", "max_value", "min_time", "max_time"):
        exact &= (c[column] == c[column]) & (c[column] != 0)
    mode[(mode == _CHUNK) & ~exact] = _BLOCKS
    is_end = np.zeros(n_rows, dtype=bool)
    is_end[starts] = is_end[stops - 1] = True
    # The blocks also hold each chunk's exact first and last points: read for the ends.
    with_blocks = (mode == _BLOCKS) | ((mode == _CHUNK) & is_end)
    block_rows = np.flatnonzero(with_blocks)
    block_ids = c["id"][block_rows].tolist()
    blobs = _blobs(block_ids, "blocks")
    table = decode_many_blocks([blobs[pk] for pk in block_ids], c["count"][block_rows])
    read_ids = c["id"][(mode == _POINTS) & ~cut].tolist()
    points_of.update(zip(read_ids, _decoded(read_ids), strict=True))
    # Every point-read chunk's points, in row order, and where each chunk's start.
    point_rows = np.flatnonzero(mode == _POINTS)
    parts = [points_of[pk] for pk in c["id"][point_rows].tolist()]
    every = _concat(parts) if parts else Points(*(np.empty(0, t) for t in (np.int64, float, float)))
    point_start = np.zeros(n_rows, dtype=np.int64)
    point_start[point_rows] = np.cumsum(counts[point_rows]) - counts[point_rows]

    out: dict[Key, SeriesView] = {}
    keys = list(zip(c["trial_id"][starts].tolist(), c["metric_id"][starts].tolist(), strict=True))
    for s in np.flatnonzero(~sampled).tolist():
        lo = int(point_start[starts[s]])
        hi = lo + int(n[s])
        out[keys[s]] = SeriesView(every.slice(lo, hi), int(n[s]), False)
    if not sampled.any():
        return out
    chosen = _sampled(
        c,
        counts,
        mode,
        starts[sampled],
        stops[sampled],
        n[sampled],
        every,
        point_start,
        block_rows,
        table,
        n_buckets,
    )
    keys_sampled = [k for k, s in zip(keys, sampled.tolist(), strict=True) if s]
    for key, points, count in zip(keys_sampled, chosen, n[sampled].tolist(), strict=True):
        out[key] = SeriesView(points, count, True)
    return dict(sorted(out.items()))


def _sampled(
    c: dict[str, np.ndarray],
    counts: Int,
    mode: Int,
    starts: Int,
    stops: Int,
    n: Int,
    every: Points,
    point_start: Int,
    block_rows: Int,
    table: BlockTable,
    n_buckets: int,
) -> list[Points]:
    """The points shown of each sampled series (rows ``starts[s]`` to ``stops[s] - 1``,
    ``n[s]`` points): its first and last points and each bucket's minimum and maximum,
    all series at once.

    The points between the first and the last are cut into ``n_buckets`` buckets of equal
    counts; each bucket keeps the first of its minima and of its maxima (NaN never one; a
    bucket of NaN only keeps its first point), taken from *units*: single points, blocks or
    whole chunks, as each chunk is read (``mode``); a unit falls in the bucket of its first
    point."""
    n_series = len(starts)
    firsts, lasts = starts, stops - 1
    # The first and last points of each series, exact: from a decoded chunk or its blocks.
    in_table = np.full(len(mode), -1)
    in_table[block_rows] = np.arange(len(block_rows))
    first = _end(
        every,
        point_start[firsts],
        c["first_step"][firsts],
        table.first_values,
        table.first_times,
        in_table[firsts],
        mode[firsts] == _POINTS,
    )
    last = _end(
        every,
        point_start[lasts] + counts[lasts] - 1,
        c["last_step"][lasts],
        table.last_values,
        table.last_times,
        in_table[lasts],
        mode[lasts] == _POINTS,
    )
    if n_buckets == 0:
        picks = [(np.empty(0, np.int64),) * 2, (np.empty(0),) * 2, (np.empty(0),) * 2]
        bucket_series = swap = np.empty(0, np.int64)
    else:
        units, units_of = _units(
            c, counts, mode, starts, stops, every, point_start, block_rows, table
        )
        bucket_series, swap, picks = _buckets(units, units_of, starts, stops, n, n_buckets)
    # Slots: each series' first point, its buckets' two points each, its last point; all
    # in step order, so that a point taken twice (a bucket's minimum and maximum, or an
    # end) is in consecutive slots.
    n_of = np.bincount(bucket_series, minlength=n_series)
    head = 2 * np.arange(n_series) + 2 * (np.cumsum(n_of) - n_of)
    tail = head + 1 + 2 * n_of
    middle = 2 * bucket_series + 1 + 2 * np.arange(len(bucket_series))
    size = 2 * n_series + 2 * len(bucket_series)
    steps, values, times = np.empty(size, np.int64), np.empty(size), np.empty(size)
    for out, at_first, at_last, (low, high) in zip(
        (steps, values, times), first, last, picks, strict=True
    ):
        out[head], out[tail] = at_first, at_last
        out[middle + swap], out[middle + 1 - swap] = low, high
    series_of = np.repeat(np.arange(n_series), tail - head + 1)
    keep = np.r_[True, (steps[1:] != steps[:-1]) | (series_of[1:] != series_of[:-1])]
    if not keep.all():
        steps, values, times = steps[keep], values[keep], times[keep]
        moved = np.cumsum(keep) - 1
        head, tail = moved[head], moved[tail]
    return [
        Points(steps[lo:hi], values[lo:hi], times[lo:hi])
        for lo, hi in zip(head.tolist(), (tail + 1).tolist(), strict=True)
    ]


def _buckets(
    units: Blocks, units_of: Int, starts: Int, stops: Int, n: Int, n_buckets: int
) -> tuple[Int, Int, list[tuple[np.ndarray, np.ndarray]]]:
    """Each bucket's series, 1 where its maximum comes before its minimum (else 0), and
    its minimum and maximum points (steps, values, times: two arrays each)."""
    firsts, lasts = starts, stops - 1
    n_series = len(starts)
    # The units of the points between the first and the last: the first and last
    # units of each series lose a point each, and units left empty go.
    at = np.cumsum(units_of) - units_of
    np.add.at(units.counts, at[firsts], -1)
    np.add.at(units.counts, at[lasts] + units_of[lasts] - 1, -1)
    unit_series = np.repeat(np.arange(n_series), np.add.reduceat(units_of, firsts))
    keep = units.counts > 0
    if not keep.all():
        units, unit_series = _take(units, keep), unit_series[keep]
    inner = n - 2
    before = np.cumsum(units.counts) - units.counts
    before -= (np.cumsum(inner) - inner)[unit_series]
    bucket = unit_series * n_buckets + before * n_buckets // inner[unit_series]
    is_head = np.r_[True, bucket[1:] != bucket[:-1]]
    heads = np.flatnonzero(is_head)
    rank = np.cumsum(is_head) - 1  # each unit's bucket, counted 0, 1... over all series
    low, high = _extremes(units, heads, rank, "min"), _extremes(units, heads, rank, "max")
    bucket_series = unit_series[heads]
    # Each bucket's two points in step order: the maximum first where it comes first.
    swap = (units.min_steps[low] > units.max_steps[high]).astype(np.int64)
    picks = [
        (getattr(units, f"min_{field}")[low], getattr(units, f"max_{field}")[high])
        for field in ("steps", "values", "times")
    ]
    return bucket_series, swap, picks


def _units(
    c: dict[str, np.ndarray],
    counts: Int,
    mode: Int,
    starts: Int,
    stops: Int,
    every: Points,
    point_start: Int,
    block_rows: Int,
    table: BlockTable,
) -> tuple[Blocks, Int]:
    """The units of the rows ``starts[s]`` to ``stops[s] - 1`` of each series, in step
    order, and how many each row has (none outside these rows)."""
    n_rows = len(mode)
    in_view = np.zeros(n_rows, dtype=bool)
    in_view[np.repeat(starts, stops - starts) + _ranges(stops - starts)] = True
    n_blocks = -(-c["count"] // BLOCK_POINTS)
    units_of = np.where(mode == _POINTS, counts, np.where(mode == _BLOCKS, n_blocks, 1))
    units_of[~in_view] = 0
    point_rows = np.flatnonzero((mode == _POINTS) & in_view)
    chunk_rows = np.flatnonzero((mode == _CHUNK) & in_view)
    block_row = block_rows[table.chunks]
    picked = mode[block_row] == _BLOCKS
    if not len(point_rows) and not len(chunk_rows) and picked.all():
        return table.blocks, units_of  # blocks only, in order: as they are
    at = np.cumsum(units_of) - units_of  # where each row's units start
    units = _empty_units(int(units_of.sum()))
    # Point-read chunks: their points, one unit each.
    lengths = counts[point_rows]
    inside = _ranges(lengths)
    _put(
        units,
        np.repeat(at[point_rows], lengths) + inside,
        _point_units(every, np.repeat(point_start[point_rows], lengths) + inside),
    )
    # Block-read chunks: a unit per block.
    picked_at = np.flatnonzero(picked)
    per_chunk = np.bincount(table.chunks, minlength=len(block_rows))
    local = picked_at - (np.cumsum(per_chunk) - per_chunk)[table.chunks[picked_at]]
    _put(units, at[block_row[picked_at]] + local, _block_units(table, picked_at))
    # Chunks read from their columns: a unit each.
    _put(units, at[chunk_rows], _column_units(c, chunk_rows))
    return units, units_of


def _ranges(lengths: Int) -> Int:
    """0 to length - 1 for each length, concatenated."""
    total = int(lengths.sum())
    return np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)


def _end(
    every: Points,
    at: Int,
    steps: Int,
    values: Float,
    times: Float,
    in_table: Int,
    decoded: npt.NDArray[np.bool_],
) -> tuple[Int, Float, Float]:
    """A point of each series: ``every[at]`` where its chunk was decoded, else its step
    (a column) with the value and time its chunk's blocks hold (row ``in_table``)."""
    steps = steps.copy()
    out_values = np.empty(len(at))
    out_times = np.empty(len(at))
    got, table = at[decoded], in_table[~decoded]
    steps[decoded] = every.steps[got]
    out_values[decoded], out_times[decoded] = every.values[got], every.times[got]
    out_values[~decoded], out_times[~decoded] = values[table], times[table]
    return steps, out_values, out_times


def _extremes(units: Blocks, heads: Int, rank: Int, which: str) -> Int:
    """The first unit of each bucket holding the bucket's minimum (``which`` "min") or
    maximum (``bucket_extremes`` of the units' extremes)."""
    return bucket_extremes(getattr(units, f"{which}_values"), heads, rank, which)


# Units: consecutive runs of points (single points, blocks or whole chunks), with their
# counts and extremes (NaN when a run holds only NaN, its first point then), in the
# columns of ``Blocks``.
_UNIT_FIELDS = tuple(f.name for f in fields(Blocks))
_CHUNK_COLUMNS = ("count", "min_step", "min_value", "min_time", "max_step", "max_value", "max_time")


def _empty_units(size: int) -> Blocks:
    columns: list[np.ndarray] = [
        np.empty(size, np.int64 if f.endswith("steps") or f == "counts" else np.float64)
        for f in _UNIT_FIELDS
    ]
    return Blocks(*columns)


def _point_units(p: Points, at: Int) -> Blocks:
    steps, values, times = p.steps[at], p.values[at], p.times[at]
    return Blocks(np.ones(len(at), dtype=np.int64), steps, values, times, steps, values, times)


def _block_units(table: BlockTable, at: Int) -> Blocks:
    return Blocks(*(getattr(table.blocks, f)[at] for f in _UNIT_FIELDS))


def _column_units(c: dict[str, np.ndarray], rows: Int) -> Blocks:
    """Units of whole chunks, from their columns (exact ones: see ``series_view``)."""
    return Blocks(*(c[column][rows] for column in _CHUNK_COLUMNS))


def _put(units: Blocks, at: Int, more: Blocks) -> None:
    for f in _UNIT_FIELDS:
        getattr(units, f)[at] = getattr(more, f)


def _take(units: Blocks, keep: npt.NDArray[np.bool_]) -> Blocks:
    return Blocks(*(getattr(units, f)[keep] for f in _UNIT_FIELDS))
