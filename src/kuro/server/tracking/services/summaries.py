"""Keeping ``Summary`` rows true: part of the one write path, in its transaction.

Appending steps after a series' last one (what training does) merges the batch into the
summary; a batch that rewrites or fills in earlier steps makes the server recount that
series from its points. Either way reads never scan points.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from kuro.server.tracking.models import Point, Summary

__all__ = ["summaries_update"]

Row = tuple[int, int, int, float | None, float]  # trial, metric, step, value (None: NaN), time


def _lowest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _highest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def summaries_update(*, rows: Sequence[Row]) -> None:
    """Fold the upserted ``rows`` into the summaries of their (trial, metric) series."""
    batches: dict[tuple[int, int], dict[int, float | None]] = {}
    for trial_id, metric_id, step, value, _ in rows:
        key = (trial_id, metric_id)
        steps = batches.get(key)
        if steps is None:
            steps = batches[key] = {}
        steps[step] = value  # a step repeated in the batch: its last value stands
    existing = {
        (s.trial_id, s.metric_id): s
        for s in Summary.objects.filter(
            trial_id__in={t for t, _ in batches}, metric_id__in={m for _, m in batches}
        )
    }
    merged: list[Summary] = []
    recount: list[tuple[int, int]] = []
    for key, steps in batches.items():
        values = [v for v in steps.values() if v is not None]
        last_step = max(steps)
        summary = existing.get(key)
        if summary is None:
            summary = Summary(
                trial_id=key[0],
                metric_id=key[1],
                count=len(steps),
                min_value=min(values, default=None),
                max_value=max(values, default=None),
                last_step=last_step,
                last_value=steps[last_step],
            )
        elif min(steps) > summary.last_step:
            summary.count += len(steps)
            summary.min_value = _lowest(summary.min_value, min(values, default=None))
            summary.max_value = _highest(summary.max_value, max(values, default=None))
            summary.last_step, summary.last_value = last_step, steps[last_step]
        else:
            recount.append(key)
            continue
        merged.append(summary)
    merged += _recount(recount)
    if merged:
        Summary.objects.bulk_create(
            merged,
            update_conflicts=True,
            unique_fields=["trial", "metric"],
            update_fields=["count", "min_value", "max_value", "last_step", "last_value"],
        )


def _recount(keys: Iterable[tuple[int, int]]) -> list[Summary]:
    """Summaries counted afresh from the points of these series."""
    keys = list(keys)
    if not keys:
        return []
    point = Point._meta.db_table
    where = " OR ".join(["(trial_id = %s AND metric_id = %s)"] * len(keys))
    params = [x for key in keys for x in key]
    sql = f"""
        SELECT a.trial_id, a.metric_id, a.n, a.lo, a.hi, a.last_step, p.value
        FROM (
            SELECT trial_id, metric_id, COUNT(*) AS n, MIN(value) AS lo, MAX(value) AS hi,
                   MAX(step) AS last_step
            FROM {point} WHERE {where} GROUP BY trial_id, metric_id
        ) a
        JOIN {point} p ON p.trial_id = a.trial_id AND p.metric_id = a.metric_id
                      AND p.step = a.last_step
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            Summary(
                trial_id=t,
                metric_id=m,
                count=n,
                min_value=lo,
                max_value=hi,
                last_step=last_step,
                last_value=last,
            )
            for t, m, n, lo, hi, last_step, last in cursor.fetchall()
        ]
