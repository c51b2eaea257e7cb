"""Keeping ``Summary`` rows true: part of the one write path, in its transaction.

Appending steps after a series' last one (what training does) merges the batch into the
summary; a batch that rewrites or fills in earlier steps makes the server recount that
series from its chunks' columns (one row per chunk, no point decoded). Either way reads
never scan points.

As for chunks (``services.chunks``), the work is split for few round trips: the stored
summaries are read by ``summaries_query``'s statement with the batch's other reads, and
``summaries_writes`` returns the statements that write them, sent after the chunks' (a
recount reads the chunks as just written) in the same round trip.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import numpy as np

from kuro.server.tracking.chunks import Points
from kuro.server.tracking.models import Chunk, Metric, Summary
from kuro.server.tracking.services.statements import Statement

__all__ = ["summaries_query", "summaries_writes"]

Key = tuple[int, int]  # (trial id, metric id)

_FIELDS = ("count", "min_value", "max_value", "last_step", "last_value")


def _lowest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _highest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _stored(value: float) -> float | None:
    """NaN is NULL in a summary, as in a chunk's columns."""
    return None if math.isnan(value) else float(value)


def summaries_query(*, trial_ids: Collection[int], names: Collection[str]) -> Statement:
    """The statement reading the stored summaries of these trials' metrics of these names:
    rows of trial id, metric id, then ``_FIELDS`` (a superset of the series wanted: every
    trial with every name)."""
    table = Summary._meta.db_table
    # IN lists, not an OR per series, which PostgreSQL would plan as a scan. A trial's
    # summaries are of its group's metrics, so the names alone pick them: a join of two
    # tables, planned in half the time of the subqueries through the trials' groups.
    return (
        f"SELECT s.trial_id, s.metric_id, {', '.join(f's.{f}' for f in _FIELDS)} FROM {table} s "
        f"JOIN {Metric._meta.db_table} m ON m.id = s.metric_id "
        f"WHERE s.trial_id IN ({', '.join(['%s'] * len(trial_ids))}) "
        f"AND m.name IN ({', '.join(['%s'] * len(names))})",
        [*trial_ids, *names],
    )


def summaries_writes(
    *, series: Mapping[Key, Points], stored: Mapping[Key, tuple]
) -> list[Statement]:
    """The statements folding each (trial id, metric id) series' new points (sorted, one per
    step, as ``chunks_writes`` writes them) into its summary, given the ``stored``
    summaries (``summaries_query``'s rows by key, without the key). To run after the
    chunks' statements: a series whose new steps do not all come after its summary's last
    one is recounted from its chunks."""
    merged: list[tuple] = []
    recount: list[Key] = []
    for key, points in sorted(series.items()):
        finite = points.values[~np.isnan(points.values)]
        low = float(finite.min()) if len(finite) else None
        high = float(finite.max()) if len(finite) else None
        last_step, last_value = int(points.steps[-1]), _stored(points.values[-1])
        summary = stored.get(key)
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
    table = Summary._meta.db_table
    upsert = (
        "ON CONFLICT (trial_id, metric_id) DO UPDATE SET "
        f"{', '.join(f'{f} = excluded.{f}' for f in _FIELDS)}"
    )
    # In SQL, not the ORM: one statement for the batch's series.
    out: list[Statement] = [
        (
            f"INSERT INTO {table} (trial_id, metric_id, {', '.join(_FIELDS)}) VALUES "
            f"{', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(part))} {upsert}",
            [x for row in part for x in row],
        )
        for part in (merged[start : start + 1000] for start in range(0, len(merged), 1000))
    ]
    if recount:
        out.append(
            _recount(
                recount, f"INSERT INTO {table} (trial_id, metric_id, {', '.join(_FIELDS)}) ", upsert
            )
        )
    return out


def _recount(keys: list[Key], insert: str, upsert: str) -> Statement:
    """The statement upserting the summaries of these series counted afresh from their
    chunks' columns."""
    chunk = Chunk._meta.db_table
    trial_ids, metric_ids = sorted({t for t, _ in keys}), sorted({m for _, m in keys})
    where = (
        f"trial_id IN ({', '.join(['%s'] * len(trial_ids))}) "
        f"AND metric_id IN ({', '.join(['%s'] * len(metric_ids))})"
    )
    # The IN lists find the chunks by the unique index; the series wanted are among their
    # pairs. The WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
    wanted = " OR ".join(["(a.trial_id = %s AND a.metric_id = %s)"] * len(keys))
    sql = f"""{insert}
        SELECT a.trial_id, a.metric_id, a.n, a.lo, a.hi, a.last_step, c.last_value
        FROM (
            SELECT trial_id, metric_id, SUM(count) AS n, MIN(min_value) AS lo,
                   MAX(max_value) AS hi, MAX(last_step) AS last_step
            FROM {chunk} WHERE {where} GROUP BY trial_id, metric_id
        ) a
        JOIN {chunk} c ON c.trial_id = a.trial_id AND c.metric_id = a.metric_id
                      AND c.last_step = a.last_step
        WHERE {wanted}
        {upsert}
    """
    return sql, [*trial_ids, *metric_ids, *(x for key in keys for x in key)]
