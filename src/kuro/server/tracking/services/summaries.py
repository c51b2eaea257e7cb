"""Keeping ``Summary`` rows true: part of the one write path, in its transaction.

Appending steps after a series' last one (what training does) merges the batch into the
summary; a batch that rewrites or fills in earlier steps makes the server recount that
series from its chunks' columns (one row per chunk, no point decoded). Either way reads
never scan points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
from django.db import connection

from kuro.server.tracking.chunks import Points
from kuro.server.tracking.models import Chunk, Summary

__all__ = ["summaries_update"]


def _lowest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _highest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _stored(value: float) -> float | None:
    """NaN is NULL in a summary, as in a chunk's columns."""
    return None if math.isnan(value) else float(value)


_FIELDS = ("count", "min_value", "max_value", "last_step", "last_value")


def summaries_update(*, series: Mapping[tuple[int, int], Points]) -> None:
    """Fold each (trial id, metric id) series' new points (sorted, one per step, as
    ``chunks_upsert`` wrote them) into its summary."""
    table = Summary._meta.db_table
    trial_ids, metric_ids = sorted({t for t, _ in series}), sorted({m for _, m in series})
    with connection.cursor() as cursor:
        # IN lists, not an OR per series, which PostgreSQL would plan as a scan.
        cursor.execute(
            f"SELECT trial_id, metric_id, {', '.join(_FIELDS)} FROM {table} "
            f"WHERE trial_id IN ({', '.join(['%s'] * len(trial_ids))}) "
            f"AND metric_id IN ({', '.join(['%s'] * len(metric_ids))})",
            [*trial_ids, *metric_ids],
        )
        existing = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    merged: list[tuple] = []
    recount: list[tuple[int, int]] = []
    for key, points in series.items():
        finite = points.values[~np.isnan(points.values)]
        low = float(finite.min()) if len(finite) else None
        high = float(finite.max()) if len(finite) else None
        last_step, last_value = int(points.steps[-1]), _stored(points.values[-1])
        summary = existing.get(key)
        if summary is None:
            merged.append((*key, len(points), low, high, last_step, last_value))
        elif points.steps[0] > summary[3]:
            count, lowest, highest, _, _ = summary
            merged.append(
                (
                    *key,
                    count + len(points),
                    _lowest(lowest, low),
                    _highest(highest, high),
                    last_step,
                    last_value,
                )
            )
        else:
            recount.append(key)
    merged += _recount(recount)
    if merged:
        # In SQL, not the ORM: one statement for the batch's series.
        with connection.cursor() as cursor:
            for start in range(0, len(merged), 1000):
                part = merged[start : start + 1000]
                cursor.execute(
                    f"INSERT INTO {table} (trial_id, metric_id, {', '.join(_FIELDS)}) VALUES "
                    f"{', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(part))} "
                    "ON CONFLICT (trial_id, metric_id) DO UPDATE SET "
                    f"{', '.join(f'{f} = excluded.{f}' for f in _FIELDS)}",
                    [x for row in part for x in row],
                )


def _recount(keys: Iterable[tuple[int, int]]) -> list[tuple]:
    """Summaries counted afresh from the chunks of these series (their columns)."""
    keys = list(keys)
    if not keys:
        return []
    chunk = Chunk._meta.db_table
    trial_ids, metric_ids = sorted({t for t, _ in keys}), sorted({m for _, m in keys})
    where = (
        f"trial_id IN ({', '.join(['%s'] * len(trial_ids))}) "
        f"AND metric_id IN ({', '.join(['%s'] * len(metric_ids))})"
    )
    params = [*trial_ids, *metric_ids]
    sql = f"""
        SELECT a.trial_id, a.metric_id, a.n, a.lo, a.hi, a.last_step, c.last_value
        FROM (
            SELECT trial_id, metric_id, SUM(count) AS n, MIN(min_value) AS lo,
                   MAX(max_value) AS hi, MAX(last_step) AS last_step
            FROM {chunk} WHERE {where} GROUP BY trial_id, metric_id
        ) a
        JOIN {chunk} c ON c.trial_id = a.trial_id AND c.metric_id = a.metric_id
                      AND c.last_step = a.last_step
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        wanted = set(keys)
        return [tuple(row) for row in cursor.fetchall() if (row[0], row[1]) in wanted]
