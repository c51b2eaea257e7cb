"""The one write path for metric points: a batch of series, upserted in one transaction.

Every way of logging (the client's batches, a single point over curl, offline replay) ends
here. Points are stored as compressed chunks of their series (``services.chunks``, and
``docs/storage.md``): a batch rewrites a few rows per series, whatever its length.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from kuro.core.errors import InvalidInput, NotFound, PayloadTooLarge
from kuro.core.modes import Mode, check_mode, check_same_mode, resolve_mode
from kuro.server.tracking.chunks import Points, points_of
from kuro.server.tracking.models import Experiment, Group, IngestBatch, Metric, Trial
from kuro.server.tracking.services.chunks import chunks_upsert
from kuro.server.tracking.services.summaries import summaries_update
from kuro.server.tracking.services.trials import trial_refuse_if_ended

__all__ = ["IngestResult", "PointSeries", "points_ingest"]


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


def points_ingest(*, series: Sequence[PointSeries], batch_id: str | None = None) -> IngestResult:
    """Upsert every point of ``series``; last write wins for a (trial, metric, step).

    With ``batch_id``, a batch already applied is recognised and not applied again, so a
    client may resend a batch whose answer it lost. Unknown metrics are created when their
    mode is given or can be inferred from the name. A batch naming an ended trial is
    refused as a whole (``Conflict``, or ``LeaseLost`` for a lost one), nothing written.
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
    with transaction.atomic(), connection.cursor() as cursor:
        # Inside the transaction: a batch refused after its metrics are created (an ended
        # trial, a duplicate) leaves none of them behind.
        metric_ids = _resolve_metrics(series)
        if batch_id is not None:
            cursor.execute(
                f"INSERT INTO {IngestBatch._meta.db_table} (batch_id, n_points, received_at) "
                "VALUES (%s, %s, %s) ON CONFLICT (batch_id) DO NOTHING",
                [batch_id, n_points, timezone.now()],
            )
            if cursor.rowcount == 0:
                return IngestResult(n_points=0, duplicate=True)
        trial_ids = sorted({s.trial_id for s in series})
        if trial_ids:
            _lock_running(trial_ids, series)
        new = _series_points(series, metric_ids)
        if new:
            summaries_update(series=chunks_upsert(series=new))
        if trial_ids:
            Trial.objects.filter(pk__in=trial_ids).update(heartbeat_at=timezone.now())
    return IngestResult(n_points=n_points, duplicate=False)


def _lock_running(trial_ids: list[int], series: Sequence[PointSeries]) -> None:
    """Lock the batch's trials, in id order, and refuse the batch if one has ended.

    The lock makes batches for one trial take turns (PostgreSQL), so each merges its points
    into chunks and summaries that the previous one committed: none is lost. It also orders a batch
    against the trial's end (``trial_end`` takes the same lock): a batch after the end is
    refused as a whole. SQLite's immediate transactions already take turns."""
    statuses = Trial.objects.select_for_update().filter(pk__in=trial_ids).order_by("pk")
    for pk, status in statuses.values_list("pk", "status"):
        if status != Trial.Status.RUNNING:
            _refuse(pk, status, series)


def _refuse(trial_id: int, status: str, series: Sequence[PointSeries]) -> None:
    if status in Trial.ENDED:
        index = next(i for i, s in enumerate(series) if s.trial_id == trial_id)
        trial_refuse_if_ended(trial_id, status, field=f"series[{index}].trial_id")


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


def _resolve_metrics(series: Sequence[PointSeries]) -> dict[tuple[int, str], int]:
    """(trial id, metric name) -> metric id, in a few queries for the whole batch.

    Every refusal (unknown trial, ended trial, mode, ``KURO_MAX_METRICS`` per group and per
    experiment) is decided before the first write; the writes then run in the caller's
    transaction, so a batch refused later still leaves no metric behind."""
    trial_ids = {s.trial_id for s in series}
    owners = {}
    for pk, experiment_id, group_id, status in Trial.objects.filter(pk__in=trial_ids).values_list(
        "pk", "experiment_id", "experiment__group_id", "status"
    ):
        owners[pk] = (experiment_id, group_id)
        _refuse(pk, status, series)
    group_of = {pk: group_id for pk, (_, group_id) in owners.items()}
    for i, s in enumerate(series):
        if s.trial_id not in group_of:
            raise NotFound(
                f"trial {s.trial_id} does not exist",
                detail={"field": f"series[{i}].trial_id", "trial_id": s.trial_id},
            )
    # (group, name) -> (index of its first series, mode given by any series or None)
    wanted: dict[tuple[int, str], tuple[int, Mode | None]] = {}
    for i, s in enumerate(series):
        key = (group_of[s.trial_id], s.metric)
        mode = check_mode(s.mode, f"series[{i}].mode")
        first = wanted.get(key)
        if first is None or (first[1] is None and mode is not None):
            wanted[key] = (first[0] if first else i, mode)
    known = {
        (group_id, name): (pk, mode)
        for pk, group_id, name, mode in Metric.objects.filter(
            group_id__in=set(group_of.values()), name__in={name for _, name in wanted}
        ).values_list("pk", "group_id", "name", "mode")
    }
    group_names = dict(
        Group.objects.filter(pk__in=set(group_of.values())).values_list("pk", "name")
    )
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
    experiment_ids = {e for e, _, _ in experiment_names}
    linked = set(
        link.objects.filter(experiment_id__in=experiment_ids).values_list(
            "experiment_id", "metric_id"
        )
    )
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
        Metric.objects.bulk_create(
            [Metric(group_id=g, name=name, mode=mode) for (g, name), mode in modes.items()],
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


def _series_points(
    series: Sequence[PointSeries], metric_ids: dict[tuple[int, str], int]
) -> dict[tuple[int, int], Points]:
    """(trial id, metric id) -> the batch's points of that series, in the batch's order
    (a series given twice is one: its later points win a step)."""
    now = time.time()
    parts: dict[tuple[int, int], list[PointSeries]] = {}
    for s in series:
        if s.steps:
            parts.setdefault((s.trial_id, metric_ids[(s.trial_id, s.metric)]), []).append(s)
    out = {}
    for key, given in parts.items():
        steps = [step for s in given for step in s.steps]
        values = [value for s in given for value in s.values]
        times = [t for s in given for t in (s.times or [now] * len(s.steps))]
        out[key] = points_of(steps, values, times)
    return out
