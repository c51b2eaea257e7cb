"""The one write path for metric points: a batch of series, upserted in one transaction.

Every way of logging (the client's batches, a single point over curl, offline replay) ends
here. Points are stored as compressed chunks of their series (``services.chunks``, and
``docs/storage.md``): a batch rewrites a few rows per series, whatever its length.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from kuro.core.errors import InvalidInput, NotFound, PayloadTooLarge
from kuro.core.modes import Mode, check_mode, check_same_mode, resolve_mode
from kuro.server.tracking.chunks import Points, merge, points_of
from kuro.server.tracking.models import Experiment, Group, IngestBatch, Metric, Trial
from kuro.server.tracking.services.batches import ingest_batches_prune_due
from kuro.server.tracking.services.chunks import (
    chunks_touched,
    chunks_touched_query,
    chunks_writes,
)
from kuro.server.tracking.services.known import known
from kuro.server.tracking.services.statements import Statement, statements_atomic
from kuro.server.tracking.services.summaries import summaries_query, summaries_writes
from kuro.server.tracking.services.trials import trial_refuse_if_ended

__all__ = ["IngestResult", "PointSeries", "points_ingest"]

logger = logging.getLogger("kuro.server")

# A batch leaves a trial's heartbeat as it is when it is younger than this.
HEARTBEAT_KEPT = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class PointSeries:
    """Points of one metric of one trial. ``times`` may be empty: the server's clock is used."""

    trial_id: int
    metric: str
    steps: Sequence[int]
    values: Sequence[float]
    times: Sequence[float] = ()
    mode: str | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    n_points: int
    duplicate: bool
    read: tuple[list[tuple], ...] = ()
    """The rows of the caller's ``also_read``, in their order (none for a duplicate)."""


def points_ingest(
    *,
    series: Sequence[PointSeries],
    batch_id: str | None = None,
    also_read: Sequence[Statement] = (),
) -> IngestResult:
    """Upsert every point of ``series``; last write wins for a (trial, metric, step).

    With ``batch_id``, a batch already applied is recognised and not applied again, so a
    client may resend a batch whose answer it lost. Unknown metrics are created when their
    mode is given or can be inferred from the name. A batch naming an ended trial is
    refused as a whole (``Conflict``, or ``LeaseLost`` for a lost one), nothing written.

    Few round trips to the database (``services.statements``): one for the batch's reads
    (its trials locked, its batch id recorded, its metrics and their links unless this
    process knows them, ``services.known``, its summaries and the chunks it touches), one for
    all its writes; on PostgreSQL ``BEGIN`` goes with the first and
    ``COMMIT`` with the last (SQLite runs in this process). A batch that creates metrics
    adds a few, one that merges packed chunks one. The statements of ``also_read`` travel with
    the batch's, in its transaction after its trials are locked (their rows are in
    ``IngestResult.read``): what the answer needs costs no round trip of its own.
    """
    n_points = sum(len(s.steps) for s in series)
    limit = settings.KURO_LIMITS["max_batch_points"]
    if n_points > limit:
        raise PayloadTooLarge(
            f"a batch holds at most {limit} points; this one holds {n_points}: split it",
            field="series",
            detail={"field": "series", "limit": limit, "n_points": n_points},
        )
    _check_shapes(series)
    _check_names(series)
    by_name = _series_points(series)
    trial_ids = sorted({s.trial_id for s in series})
    names = sorted({s.metric for s in series})
    reads: list[Statement] = []
    if trial_ids:
        reads.append(_lock_query(trial_ids))
    if batch_id is not None:
        reads.append(
            (
                f"INSERT INTO {IngestBatch._meta.db_table} (batch_id, n_points, received_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
                [batch_id, n_points, timezone.now()],
            )
        )
    # Metrics and links this process saw committed need not be read again (PostgreSQL).
    cached = known.resolve({(s.trial_id, s.metric) for s in series}) if trial_ids else None
    lookups = [_metrics_query(trial_ids, names), _links_query(trial_ids)] if trial_ids else []
    if trial_ids:
        reads += [
            *(lookups if cached is None else []),
            summaries_query(trial_ids=trial_ids, names=names),
        ]
    if by_name:
        reads.append(chunks_touched_query(series=by_name))
    reads += also_read
    try:
        with statements_atomic() as tx, connection.cursor() as cursor:
            answers = iter(tx.run(cursor, reads))
            trials = next(answers) if trial_ids else []
            recorded = next(answers) if batch_id is not None else [()]
            # Every refusal comes first, before the batch's id can count as applied.
            _check_trials(series, trials)
            metrics, links = (
                (next(answers), next(answers)) if lookups and cached is None else ([], [])
            )
            stored = next(answers) if trial_ids else []
            touched = chunks_touched(next(answers) if by_name else [])
            read = tuple(next(answers) for _ in also_read)
            if not recorded:
                return IngestResult(n_points=0, duplicate=True)
            if cached is not None:
                # Known trials found in another experiment or group: read what they have.
                metrics, links = cached if known.agrees(trials) else tx.run(cursor, lookups)
            metric_ids = _resolve_metrics(series, trials, metrics, links)
            new = {(t, metric_ids[(t, name)]): points for (t, name), points in by_name.items()}
            writes = chunks_writes(series=new, touched=touched)
            writes += summaries_writes(
                series=new, stored={(row[0], row[1]): row[2:] for row in stored}
            )
            writes += _heartbeats(trials)
            tx.run(cursor, writes, commit=True)
            transaction.on_commit(partial(known.learn, trials, metrics, links))
    except DatabaseError:
        known.clear()  # a fact may have gone stale (a metric deleted by hand, say)
        raise
    try:
        ingest_batches_prune_due()
    except DatabaseError:  # the batch is stored: old ids are pruned another time
        logger.warning("pruning old batch ids failed", exc_info=True)
    return IngestResult(n_points=n_points, duplicate=False, read=read)


def _lock_query(trial_ids: list[int]) -> Statement:
    """Lock the batch's trials, in id order, and read what the batch needs of them: id,
    experiment, group, group name, status, last heartbeat.

    The lock makes batches for one trial take turns (PostgreSQL), so each merges its points
    into chunks and summaries that the previous one committed: none is lost. It also orders a
    batch against the trial's end (``trial_end`` takes the same lock): a batch after the end
    is refused as a whole. SQLite's immediate transactions already take turns. ``NO KEY``:
    rows that merely refer to the trial (a chunk, telemetry) may still be written meanwhile;
    ``OF t``: the trial's experiment and group are not locked."""
    lock = " FOR NO KEY UPDATE OF t" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT t.id, t.experiment_id, e.group_id, g.name, t.status, t.heartbeat_at "
        f"FROM {Trial._meta.db_table} t "
        f"JOIN {Experiment._meta.db_table} e ON e.id = t.experiment_id "
        f"JOIN {Group._meta.db_table} g ON g.id = e.group_id "
        f"WHERE t.id IN ({', '.join(['%s'] * len(trial_ids))}) ORDER BY t.id{lock}",
        trial_ids,
    )


def _heartbeats(trials: Sequence[tuple]) -> list[Statement]:
    """The statement that marks the batch's trials (``_lock_query``'s rows) alive now, for
    those whose heartbeat is older than ``HEARTBEAT_KEPT``: a trial sending batches many
    times a second is not written each time (on PostgreSQL each write is a new version of
    the trial's row, with its index entries and WAL)."""
    now = timezone.now()
    stale = [row[0] for row in trials if row[5] is None or now - _aware(row[5]) >= HEARTBEAT_KEPT]
    if not stale:
        return []
    return [
        (
            f"UPDATE {Trial._meta.db_table} SET heartbeat_at = %s "
            f"WHERE id IN ({', '.join(['%s'] * len(stale))})",
            [now, *stale],
        )
    ]


def _aware(moment: datetime) -> datetime:
    """A time read by raw SQL: SQLite's come without their zone (UTC, as Django stores them)."""
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


def _metrics_query(trial_ids: list[int], names: list[str]) -> Statement:
    """The metrics of these names in the trials' groups: id, group, name, mode."""
    return (
        f"SELECT m.id, m.group_id, m.name, m.mode FROM {Metric._meta.db_table} m "
        f"WHERE m.name IN ({', '.join(['%s'] * len(names))}) AND m.group_id IN "
        f"(SELECT e.group_id FROM {Experiment._meta.db_table} e "
        f"JOIN {Trial._meta.db_table} t ON t.experiment_id = e.id "
        f"WHERE t.id IN ({', '.join(['%s'] * len(trial_ids))}))",
        [*names, *trial_ids],
    )


def _links_query(trial_ids: list[int]) -> Statement:
    """The metrics linked to the trials' experiments: experiment id, metric id."""
    link = Experiment.metrics.through._meta.db_table
    return (
        f"SELECT l.experiment_id, l.metric_id FROM {link} l WHERE l.experiment_id IN "
        f"(SELECT t.experiment_id FROM {Trial._meta.db_table} t "
        f"WHERE t.id IN ({', '.join(['%s'] * len(trial_ids))}))",
        trial_ids,
    )


def _check_trials(series: Sequence[PointSeries], trials: Sequence[tuple]) -> None:
    """Refuse the batch if a trial it names does not exist or has ended."""
    found = set()
    for pk, _, _, _, status, _ in trials:
        found.add(pk)
        if status != Trial.Status.RUNNING:
            _refuse(pk, status, series)
    for i, s in enumerate(series):
        if s.trial_id not in found:
            raise NotFound(
                f"trial {s.trial_id} does not exist",
                detail={"field": f"series[{i}].trial_id", "trial_id": s.trial_id},
            )


def _refuse(trial_id: int, status: str, series: Sequence[PointSeries]) -> None:
    if status in Trial.ENDED:
        index = next(i for i, s in enumerate(series) if s.trial_id == trial_id)
        trial_refuse_if_ended(trial_id, status, field=f"series[{index}].trial_id")


def _check_names(series: Sequence[PointSeries]) -> None:
    """Refuse, before any query, a batch naming more metrics for one trial than its group
    may hold (a trial's metrics are its group's): such a batch is refused whatever the
    database holds, and its reads would be as large as it is."""
    limit = settings.KURO_LIMITS["max_metrics"]
    if len(series) <= limit:
        return
    names: dict[int, set[str]] = {}
    for s in series:
        names.setdefault(s.trial_id, set()).add(s.metric)
    for trial_id, given in names.items():
        if len(given) > limit:
            raise PayloadTooLarge(
                f"a group has at most {limit} metrics (KURO_MAX_METRICS); this batch names "
                f"{len(given)} for trial {trial_id}",
                detail={"field": "series", "limit": limit},
            )


def _check_shapes(series: Sequence[PointSeries]) -> None:
    for i, s in enumerate(series):
        if len(s.values) != len(s.steps):
            raise InvalidInput(
                f"series[{i}] has {len(s.steps)} steps but {len(s.values)} values",
                field=f"series[{i}].values",
            )
        if s.times and len(s.times) != len(s.steps):
            raise InvalidInput(
                f"series[{i}] has {len(s.steps)} steps but {len(s.times)} times",
                field=f"series[{i}].times",
            )


def _resolve_metrics(
    series: Sequence[PointSeries],
    trials: Sequence[tuple],
    metrics: Sequence[tuple],
    links: Sequence[tuple],
) -> dict[tuple[int, str], int]:
    """(trial id, metric name) -> metric id, from the batch's reads (``trials``: the
    ``_lock_query`` rows, ``metrics``: ``_metrics_query``'s, ``links``: ``_links_query``'s);
    queries only to create metrics or link them to experiments.

    Every refusal (mode, ``KURO_MAX_METRICS`` per group and per experiment) is decided
    before the first write; the writes then run in the caller's transaction, so a batch
    refused later still leaves no metric behind."""
    owners = {pk: (experiment_id, group_id) for pk, experiment_id, group_id, *_ in trials}
    group_of = {pk: group_id for pk, (_, group_id) in owners.items()}
    group_names = {group_id: name for _, _, group_id, name, *_ in trials}
    # (group, name) -> (index of its first series, mode given by any series or None)
    wanted: dict[tuple[int, str], tuple[int, Mode | None]] = {}
    for i, s in enumerate(series):
        key = (group_of[s.trial_id], s.metric)
        mode = check_mode(s.mode, f"series[{i}].mode")
        first = wanted.get(key)
        if first is None or (first[1] is None and mode is not None):
            wanted[key] = (first[0] if first else i, mode)
    known = {(group_id, name): (pk, mode) for pk, group_id, name, mode in metrics}
    for i, s in enumerate(series):
        hit = known.get((group_of[s.trial_id], s.metric))
        if hit is not None:
            check_same_mode(
                s.metric,
                hit[1],
                check_mode(s.mode),
                group=group_names[group_of[s.trial_id]],
                field=f"series[{i}].metric",
            )
    new = {key: value for key, value in wanted.items() if key not in known}
    limit = settings.KURO_LIMITS["max_metrics"]
    _check_group_metrics(new, limit)
    modes = {
        key: resolve_mode(key[1], mode, group=group_names[key[0]], field=f"series[{i}].metric")
        for key, (i, mode) in new.items()
    }
    # A metric reported by a trial belongs to its experiment from then on: count the links
    # this batch adds per experiment before writing any of them.
    experiment_names = {(owners[s.trial_id][0], group_of[s.trial_id], s.metric) for s in series}
    link = Experiment.metrics.through
    linked = {(e, m) for e, m in links}
    adding = Counter(
        e
        for e, g, name in experiment_names
        if (g, name) not in known or (e, known[(g, name)][0]) not in linked
    )
    if adding:
        counts = Counter(e for e, _ in linked)
        for experiment_id, n in adding.items():
            if counts[experiment_id] + n > limit:
                raise PayloadTooLarge(
                    f"experiment {experiment_id} would have more than {limit} metrics "
                    "(KURO_MAX_METRICS)",
                    detail={"field": "series", "limit": limit},
                )
    if modes:
        # In key order: two batches creating the same metrics never wait on each other in turn.
        Metric.objects.bulk_create(
            [Metric(group_id=g, name=name, mode=mode) for (g, name), mode in sorted(modes.items())],
            ignore_conflicts=True,
        )
        for pk, group_id, name, mode in Metric.objects.filter(
            group_id__in={g for g, _ in modes}, name__in={name for _, name in modes}
        ).values_list("pk", "group_id", "name", "mode"):
            key = (group_id, name)
            if key in modes:
                # Created meanwhile by another request with another mode: checked like any.
                index, given = new[key]
                check_same_mode(
                    name, mode, given, group=group_names[group_id], field=f"series[{index}].metric"
                )
                known[key] = (pk, mode)
    out = {(s.trial_id, s.metric): known[(group_of[s.trial_id], s.metric)][0] for s in series}
    pairs = {(owners[trial_id][0], metric_id) for (trial_id, _), metric_id in out.items()}
    if pairs - linked:
        link.objects.bulk_create(
            [link(experiment_id=e, metric_id=m) for e, m in sorted(pairs - linked)],
            ignore_conflicts=True,
        )
    return out


def _check_group_metrics(new: Mapping[tuple[int, str], object], limit: int) -> None:
    """Refuse a batch that would grow a group past ``limit`` metrics, in one query."""
    if not new:
        return
    adding = Counter(g for g, _ in new)
    have = dict(
        Metric.objects.filter(group_id__in=adding)
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
    )
    for group_id, n in adding.items():
        if have.get(group_id, 0) + n > limit:
            raise PayloadTooLarge(
                f"a group has at most {limit} metrics (KURO_MAX_METRICS); this batch would "
                f"bring one to {have.get(group_id, 0) + n}",
                detail={"field": "series", "limit": limit},
            )


def _series_points(series: Sequence[PointSeries]) -> dict[tuple[int, str], Points]:
    """(trial id, metric name) -> the batch's points of that series, sorted by step, one per
    step (a step given twice, in one series or in two naming the same, keeps its later
    value)."""
    now = time.time()
    parts: dict[tuple[int, str], list[PointSeries]] = {}
    for s in series:
        if s.steps:
            parts.setdefault((s.trial_id, s.metric), []).append(s)
    out = {}
    for key, given in sorted(parts.items()):
        if len(given) == 1:  # as a series usually comes: its lists as they are
            [s] = given
            steps, values, times = s.steps, s.values, s.times or [now] * len(s.steps)
        else:
            steps = [step for s in given for step in s.steps]
            values = [value for s in given for value in s.values]
            times = [t for s in given for t in (s.times or [now] * len(s.steps))]
        out[key] = merge([], points_of(steps, values, times))
    return out
