"""Folding a batch's points into the chunks of their series: part of the one write path
(``services.points``), in its transaction, after it has locked the batch's trials.

Per series, the chunks the new steps touch are read, merged with the new points (a new
value replaces the stored one of its step), cut again into chunks of ``CHUNK_POINTS`` and
written back: a few rows per series per batch, whatever the series' length. An append
rewrites no packed chunk and at most one short unpacked chunk at the series' end (the open
tail, ``_to_merge``), so that a small append costs O(new points); the tail is compacted
into packed chunks once it holds ``CHUNK_POINTS``. See ``docs/storage.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection

from kuro.server.tracking.chunks import (
    CHUNK_POINTS,
    PACKED_POINTS,
    Points,
    chunk_columns,
    decode_many_points,
    merge,
    split,
)
from kuro.server.tracking.models import Chunk

__all__ = ["chunks_upsert"]

Key = tuple[int, int]  # (trial id, metric id)
Row = tuple[int, int, int, int]  # a stored chunk: id, first step, last step, count

# An append rewrites the series' last chunk while it holds fewer points than this (at most
# this many points x 24 bytes, unpacked), else starts a new one: see ``_to_merge``.
TAIL_POINTS = 16


def chunks_upsert(*, series: Mapping[Key, Points]) -> dict[Key, Points]:
    """Upsert each series' new points (any order; for a step given twice the later wins)
    into its chunks. Returns each series' new points as written: sorted, one per step."""
    if not series:
        return {}
    new = {key: merge([], points) for key, points in sorted(series.items())}
    stored = _touched(new)
    plan = {key: _to_merge(stored.get(key, []), points) for key, points in new.items()}
    old_payloads = _payloads([pk for rows in plan.values() for pk, *_ in rows])
    delete: list[int] = []
    create: list[tuple] = []
    out = {}
    for key, points in new.items():
        rows = plan[key]
        merged = merge([old_payloads[pk] for pk, *_ in rows], points)
        delete += [pk for pk, *_ in rows]
        for piece in split(merged):
            columns = chunk_columns(piece)
            create.append((*key, *(columns[c] for c in _COLUMNS)))
        out[key] = points
    table = Chunk._meta.db_table
    # In SQL, not the ORM: its per-object cost would be most of an append's.
    with connection.cursor() as cursor:
        for start in range(0, len(delete), 500):
            ids = delete[start : start + 500]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids)
        row = f"({', '.join(['%s'] * (len(_COLUMNS) + 2))})"
        for start in range(0, len(create), 500):
            part = create[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} (trial_id, metric_id, {', '.join(_COLUMNS)}) "
                f"VALUES {', '.join([row] * len(part))}",
                [x for r in part for x in r],
            )
    return out


_COLUMNS = (
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
    "last_value",
    "blocks",
    "payload",
)


def _to_merge(rows: list[Row], points: Points) -> list[Row]:
    """Of the stored chunks ``rows`` found by ``_touched``, those to merge with ``points``.

    A write that overlaps or precedes stored steps merges them all. An append (every new
    step after those of ``rows``) leaves packed chunks alone and keeps a short open tail:
    it rewrites the series' last chunk only if that one is unpacked and holds fewer than
    ``TAIL_POINTS`` points, else it starts a new chunk; when the unpacked chunks at the end
    of the series (``rows``' trailing ones) and the new points reach ``CHUNK_POINTS``, or
    the new chunk would be packed, they are all merged (compacted) into packed chunks. So a
    small append writes O(new points), and compaction comes about once per chunk."""
    if not rows or rows[-1][2] >= points.steps[0]:
        return rows
    tail: list[Row] = []
    for row in reversed(rows):
        if row[3] >= PACKED_POINTS:
            break
        tail.insert(0, row)
    last = tail[-1:] if tail and tail[-1][3] < TAIL_POINTS else []
    n = len(points)
    if sum(r[3] for r in tail) + n >= CHUNK_POINTS or sum(r[3] for r in last) + n >= PACKED_POINTS:
        return tail
    return last


def _touched(new: Mapping[Key, Points]) -> dict[Key, list[Row]]:
    """Per series, the stored chunks (id, first step, last step, count) that may be merged
    with ``new``: those overlapping its steps, the one before them if it has room, and the
    unpacked chunks at the end of the series if the new steps reach them (``_to_merge``
    chooses among them).

    One query: per series, the chunks from the last one starting at or before the first
    new step, or from the first one after the series' last packed chunk if that comes
    earlier (each found in the unique index), to the last new step."""
    table = Chunk._meta.db_table
    wanted = [
        (trial_id, metric_id, int(points.steps[0]), int(points.steps[-1]))
        for (trial_id, metric_id), points in new.items()
    ]
    out: dict[Key, list[Row]] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            # A join from a VALUES list: each series is a nested index lookup (an OR of
            # per-series conditions would scan on PostgreSQL).
            values = ", ".join(
                ["(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT))"]
                * len(part)
            )
            cursor.execute(
                f"WITH wanted (trial_id, metric_id, low, high) AS (VALUES {values}), "
                # before: the last chunk starting at or before the first new step; tail: just
                # after the series' last packed chunk (the smallest step if there is none).
                "bounds AS (SELECT w.trial_id, w.metric_id, w.low, w.high, "
                f"COALESCE((SELECT MAX(p.first_step) FROM {table} p WHERE p.trial_id = w.trial_id "
                "AND p.metric_id = w.metric_id AND p.first_step <= w.low), w.low) AS before, "
                f"COALESCE((SELECT p.first_step + 1 FROM {table} p WHERE p.trial_id = w.trial_id "
                "AND p.metric_id = w.metric_id AND p.count >= %s ORDER BY p.first_step DESC "
                "LIMIT 1), CAST(%s AS BIGINT)) AS tail FROM wanted w) "
                "SELECT c.id, c.trial_id, c.metric_id, c.first_step, c.last_step, c.count, w.low "
                f"FROM bounds w JOIN {table} c ON c.trial_id = w.trial_id "
                "AND c.metric_id = w.metric_id AND c.first_step <= w.high AND c.first_step >= "
                "CASE WHEN w.before < w.tail THEN w.before ELSE w.tail END",
                [x for row in part for x in row] + [PACKED_POINTS, -(2**63)],
            )
            for pk, trial_id, metric_id, first, last, count, low in cursor.fetchall():
                if last < low and count >= CHUNK_POINTS:
                    continue  # a full chunk before the new steps stays as it is
                out.setdefault((trial_id, metric_id), []).append((pk, first, last, count))
    for rows in out.values():
        rows.sort(key=lambda row: row[1])  # in step order (the join does not promise it)
    return out


def _payloads(ids: list[int]) -> dict[int, Points]:
    out: dict[int, Points] = {}
    for start in range(0, len(ids), 1000):
        batch = ids[start : start + 1000]
        rows = list(Chunk.objects.filter(pk__in=batch).values_list("pk", "payload"))
        decoded = decode_many_points([bytes(blob) for _, blob in rows])
        out.update((pk, points) for (pk, _), points in zip(rows, decoded, strict=True))
    return out
