"""Folding a batch's points into the chunks of their series: part of the one write path
(``services.points``), in its transaction, after it has locked the batch's trials.

Per series, the chunks the new steps touch are read (for an append, only the series' last
chunk, and only if the new points fit in it), merged with the new points (a new value
replaces the stored one of its step), cut again into chunks of ``CHUNK_POINTS`` and
written back: a few rows per series per batch, whatever the series' length. See
``docs/storage.md``.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import connection

from kuro.server.tracking.chunks import (
    CHUNK_POINTS,
    Points,
    chunk_columns,
    decode_many_points,
    merge,
    split,
)
from kuro.server.tracking.models import Chunk

__all__ = ["chunks_upsert"]

Key = tuple[int, int]  # (trial id, metric id)


def chunks_upsert(*, series: Mapping[Key, Points]) -> dict[Key, Points]:
    """Upsert each series' new points (any order; for a step given twice the later wins)
    into its chunks. Returns each series' new points as written: sorted, one per step."""
    if not series:
        return {}
    new = {key: merge([], points) for key, points in sorted(series.items())}
    stored = _touched(new)
    old_payloads = _payloads([pk for rows in stored.values() for pk, *_ in rows])
    delete: list[int] = []
    create: list[tuple] = []
    out = {}
    for key, points in new.items():
        rows = stored.get(key, [])
        _, _, last, count = rows[0] if len(rows) == 1 else (0, 0, 0, 0)
        if len(rows) == 1 and last < points.steps[0] and count + len(points) > CHUNK_POINTS:
            # An append that would overflow the last chunk starts new ones: the last chunk
            # is not rewritten (a big batch never rewrites what is stored).
            rows = []
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


def _touched(new: Mapping[Key, Points]) -> dict[Key, list[tuple[int, int, int, int]]]:
    """Per series, the stored chunks (id, first step, last step, count) to merge with
    ``new``: those overlapping its steps, and the one before them if it has room.

    One query: per series, the chunks from the last one starting at or before the first
    new step (found in the unique index) to the last new step."""
    table = Chunk._meta.db_table
    wanted = [
        (trial_id, metric_id, int(points.steps[0]), int(points.steps[-1]))
        for (trial_id, metric_id), points in new.items()
    ]
    out: dict[Key, list[tuple[int, int, int, int]]] = {}
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
                f"WITH wanted (trial_id, metric_id, low, high) AS (VALUES {values}) "
                "SELECT c.id, c.trial_id, c.metric_id, c.first_step, c.last_step, c.count, w.low "
                f"FROM wanted w JOIN {table} c ON c.trial_id = w.trial_id "
                "AND c.metric_id = w.metric_id AND c.first_step <= w.high AND c.first_step >= "
                f"COALESCE((SELECT MAX(p.first_step) FROM {table} p WHERE p.trial_id = w.trial_id "
                "AND p.metric_id = w.metric_id AND p.first_step <= w.low), w.low)",
                [x for row in part for x in row],
            )
            for pk, trial_id, metric_id, first, last, count, low in cursor.fetchall():
                if last < low and count >= CHUNK_POINTS:
                    continue  # a full chunk before the new steps stays as it is
                out.setdefault((trial_id, metric_id), []).append((pk, first, last, count))
    return out


def _payloads(ids: list[int]) -> dict[int, Points]:
    out: dict[int, Points] = {}
    for start in range(0, len(ids), 1000):
        batch = ids[start : start + 1000]
        rows = list(Chunk.objects.filter(pk__in=batch).values_list("pk", "payload"))
        decoded = decode_many_points([bytes(blob) for _, blob in rows])
        out.update((pk, points) for (pk, _), points in zip(rows, decoded, strict=True))
    return out
