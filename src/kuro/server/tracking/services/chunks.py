"""Folding a batch's points into the chunks of their series: part of the one write path
(``services.points``), in its transaction, after it has locked the batch's trials.

Per series, the chunks the new steps touch are read, merged with the new points (a new
value replaces the stored one of its step), cut again into chunks of ``CHUNK_POINTS`` and
written back: a few rows per series per batch, whatever the series' length. An append
rewrites no packed chunk and at most one short unpacked chunk at the series' end (the open
tail, ``_to_merge``), so that a small append costs O(new points); the tail is compacted
into packed chunks once it holds ``CHUNK_POINTS``. See ``docs/storage.md``.

The work is split so that the write path makes few round trips to the database
(``services.statements``): ``chunks_touched_query`` is one statement that ``points_ingest``
sends with its other reads, before the batch's metric ids are known (it finds the series by
metric name); ``chunks_writes`` plans the rows from its answer and returns the statements
that write them, sent with the summaries' and the trials' in one round trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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
from kuro.server.tracking.models import Chunk, Experiment, Metric, Trial
from kuro.server.tracking.services.statements import Statement

__all__ = ["Touched", "chunks_touched", "chunks_touched_query", "chunks_writes"]

Key = tuple[int, int]  # (trial id, metric id)
Row = tuple[int, int, int, int]  # a stored chunk: id, first step, last step, count

# An append rewrites the series' last chunk while it holds fewer points than this (at most
# this many points x 24 bytes, unpacked), else starts a new one: see ``_to_merge``.
TAIL_POINTS = 16

# Rows per statement: within SQLite's 32,766 parameters, whatever the columns.
_ROWS = 500

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
# The columns an UPDATE in place rewrites: all but the series and where the chunk starts.
_REWRITTEN = tuple(c for c in _COLUMNS if c != "first_step")


@dataclass
class Touched:
    """Per series, the stored chunks that may be merged with the new points (``rows``, in
    step order), and the payloads already read with them: those of chunks shorter than
    ``TAIL_POINTS``, which an append rewrites."""

    rows: dict[Key, list[Row]] = field(default_factory=dict)
    payloads: dict[int, bytes] = field(default_factory=dict)


def chunks_touched_query(*, series: Mapping[tuple[int, str], Points]) -> Statement:
    """The one statement finding, per series given by (trial id, metric name) and its new
    points (sorted), the stored chunks that may be merged with them (``chunks_touched``
    reads its rows): those overlapping the new steps, the one before them if it has room,
    and the unpacked chunks at the end of the series if the new steps reach them
    (``_to_merge`` chooses among them).

    Per series, the chunks from the last one starting at or before the first new step, or
    from the first one after the series' last packed chunk if that comes earlier (each found
    in the unique index), to the last new step. A series whose metric does not exist yet
    has none."""
    table = Chunk._meta.db_table
    wanted = [
        (trial_id, name, int(points.steps[0]), int(points.steps[-1]))
        for (trial_id, name), points in series.items()
    ]
    # A VALUES list: each series is a nested index lookup (an OR of per-series conditions
    # would scan on PostgreSQL). Its metric is found by a subquery per series, not a join:
    # PostgreSQL plans that in a third of the time, and each step below is computed once
    # per series (MATERIALIZED: not inlined into the last join, which would repeat them).
    once = " MATERIALIZED" if connection.vendor == "postgresql" else ""
    values = ", ".join(
        ["(CAST(%s AS BIGINT), %s, CAST(%s AS BIGINT), CAST(%s AS BIGINT))"] * len(wanted)
    )
    sql = (
        f"WITH wanted (trial_id, name, low, high) AS (VALUES {values}), "
        f"named AS{once} (SELECT w.trial_id, w.low, w.high, "
        f"(SELECT m.id FROM {Metric._meta.db_table} m WHERE m.name = w.name AND m.group_id = "
        f"(SELECT e.group_id FROM {Trial._meta.db_table} t "
        f"JOIN {Experiment._meta.db_table} e ON e.id = t.experiment_id "
        "WHERE t.id = w.trial_id)) AS metric_id FROM wanted w), "
        # before: the last chunk starting at or before the first new step; tail: just after
        # the series' last packed chunk (the smallest step if there is none).
        f"bounds AS{once} (SELECT w.trial_id, w.metric_id, w.low, w.high, "
        f"COALESCE((SELECT MAX(p.first_step) FROM {table} p WHERE p.trial_id = w.trial_id "
        "AND p.metric_id = w.metric_id AND p.first_step <= w.low), w.low) AS before, "
        f"COALESCE((SELECT p.first_step + 1 FROM {table} p WHERE p.trial_id = w.trial_id "
        "AND p.metric_id = w.metric_id AND p.count >= %s ORDER BY p.first_step DESC "
        "LIMIT 1), CAST(%s AS BIGINT)) AS tail FROM named w) "
        "SELECT c.id, c.trial_id, c.metric_id, c.first_step, c.last_step, c.count, w.low, "
        "CASE WHEN c.count < %s THEN c.payload END "
        f"FROM bounds w JOIN {table} c ON c.trial_id = w.trial_id "
        "AND c.metric_id = w.metric_id AND c.first_step <= w.high AND c.first_step >= "
        "CASE WHEN w.before < w.tail THEN w.before ELSE w.tail END"
    )
    return sql, [x for row in wanted for x in row] + [PACKED_POINTS, -(2**63), TAIL_POINTS]


def chunks_touched(rows: Iterable[tuple]) -> Touched:
    """The rows of ``chunks_touched_query``'s statement, per series."""
    out = Touched()
    for pk, trial_id, metric_id, first, last, count, low, payload in rows:
        if last < low and count >= CHUNK_POINTS:
            continue  # a full chunk before the new steps stays as it is
        out.rows.setdefault((trial_id, metric_id), []).append((pk, first, last, count))
        if payload is not None:
            out.payloads[pk] = bytes(payload)
    for found in out.rows.values():
        found.sort(key=lambda row: row[1])  # in step order (the join does not promise it)
    return out


def chunks_writes(*, series: Mapping[Key, Points], touched: Touched) -> list[Statement]:
    """The statements that upsert each series' new points (sorted, one per step) into its
    chunks, given the chunks ``touched`` that may be merged with them: a new value
    replaces the stored one of its step. Reads the payloads it needs and ``touched`` lacks
    (of packed chunks: a rewrite, or a compaction of the tail)."""
    plan = {key: _to_merge(touched.rows.get(key, []), points) for key, points in series.items()}
    wanted = [pk for rows in plan.values() for pk, *_ in rows]
    old = _payloads([pk for pk in wanted if pk not in touched.payloads])
    old.update(
        zip(
            (pk for pk in wanted if pk in touched.payloads),
            decode_many_points([touched.payloads[pk] for pk in wanted if pk in touched.payloads]),
            strict=True,
        )
    )
    delete: list[int] = []
    update: list[tuple] = []
    create: list[tuple] = []
    for key, points in sorted(series.items()):
        rows = plan[key]
        merged = merge([old[pk] for pk, *_ in rows], points)
        # A piece starting where a rewritten chunk starts takes that chunk's row in place: on
        # PostgreSQL an UPDATE that changes no indexed column touches no index (a HOT
        # update) and checks no foreign key, where a DELETE and an INSERT do both.
        replaced = {first: pk for pk, first, *_ in rows}
        for piece in split(merged):
            columns = chunk_columns(piece)
            pk = replaced.pop(columns["first_step"], None)
            if pk is None:
                create.append((*key, *(columns[c] for c in _COLUMNS)))
            else:
                update.append((pk, *(columns[c] for c in _REWRITTEN)))
        delete += replaced.values()
    return [*_deletes(delete), *_updates(update), *_inserts(create)]


def _to_merge(rows: list[Row], points: Points) -> list[Row]:
    """Of the stored chunks ``rows`` found by ``chunks_touched``, those to merge with
    ``points``.

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


def _deletes(ids: list[int]) -> list[Statement]:
    table = Chunk._meta.db_table
    return [
        (
            f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})",
            part,
        )
        for part in _parts(ids)
    ]


def _updates(rows: list[tuple]) -> list[Statement]:
    """UPDATE ... FROM a VALUES list (typed: a NULL in it has no type of its own)."""
    table = Chunk._meta.db_table
    columns = _REWRITTEN
    casts = ", ".join(
        f"CAST(%s AS {Chunk._meta.get_field(name).db_type(connection)})"
        for name in ("id", *columns)
    )
    out: list[Statement] = []
    for part in _parts(rows):
        out.append(
            (
                f"WITH v (id, {', '.join(columns)}) AS "
                f"(VALUES {', '.join([f'({casts})'] * len(part))}) "
                f"UPDATE {table} SET {', '.join(f'{c} = v.{c}' for c in columns)} "
                f"FROM v WHERE {table}.id = v.id",
                [x for row in part for x in row],
            )
        )
    return out


def _inserts(rows: list[tuple]) -> list[Statement]:
    table = Chunk._meta.db_table
    row = f"({', '.join(['%s'] * (len(_COLUMNS) + 2))})"
    return [
        (
            f"INSERT INTO {table} (trial_id, metric_id, {', '.join(_COLUMNS)}) "
            f"VALUES {', '.join([row] * len(part))}",
            [x for r in part for x in r],
        )
        for part in _parts(rows)
    ]


def _parts(items: list) -> list[list]:
    return [items[start : start + _ROWS] for start in range(0, len(items), _ROWS)]


def _payloads(ids: list[int]) -> dict[int, Points]:
    out: dict[int, Points] = {}
    for start in range(0, len(ids), 1000):
        batch = ids[start : start + 1000]
        rows = list(Chunk.objects.filter(pk__in=batch).values_list("pk", "payload"))
        decoded = decode_many_points([bytes(blob) for _, blob in rows])
        out.update((pk, points) for (pk, _), points in zip(rows, decoded, strict=True))
    return out
