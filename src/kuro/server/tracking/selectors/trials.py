"""Reads of trials and their per-metric summaries."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from kuro.core.errors import NotFound
from kuro.server.tracking.models import (
    Experiment,
    Group,
    Metric,
    PackageSet,
    Summary,
    Trial,
    Worker,
)
from kuro.server.tracking.selectors.moments import iso

__all__ = ["trial_check_exists", "trial_detail", "trial_dict", "trial_row", "trial_summaries"]


def _float(value: float | None) -> float:
    """A stored value as a float: NULL is NaN (see ``models.Point``)."""
    return math.nan if value is None else value


def trial_summaries(
    *, trial_ids: Iterable[int] | None = None, group_id: int | None = None
) -> dict[int, dict[str, dict[str, Any]]]:
    """trial id -> metric name -> ``{"best", "last", "last_step", "count"}``, in one query
    over the summaries the write path keeps (one row per trial and metric, never a scan
    of points).

    ``best`` follows the metric's mode and skips NaN (NaN when every value is NaN); ``last``
    is the value at the highest step. Both are floats, NaN as ``math.nan``. Give
    ``trial_ids``, or ``group_id`` for a whole group.
    """
    rows = Summary.objects.all()
    if group_id is not None:
        rows = rows.filter(trial__experiment__group_id=group_id)
    else:
        ids = sorted(set(trial_ids or ()))
        if not ids:
            return {}
        rows = rows.filter(trial_id__in=ids)
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for trial_id, name, mode, n, lo, hi, last_step, last in rows.values_list(
        "trial_id",
        "metric__name",
        "metric__mode",
        "count",
        "min_value",
        "max_value",
        "last_step",
        "last_value",
    ):
        out.setdefault(trial_id, {})[name] = _summary(mode, n, lo, hi, last_step, last)
    return out


def _summary(
    mode: str, n: int, lo: float | None, hi: float | None, last_step: int, last: float | None
) -> dict[str, Any]:
    return {
        "best": _float(hi if mode == "max" else lo),
        "last": _float(last),
        "last_step": last_step,
        "count": n,
    }


def trial_dict(trial: Trial, summaries: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """A trial as the API shows it; ``worker_name`` must be annotated or selected."""
    worker = getattr(trial, "worker_name", None)
    if worker is None and trial.worker_id is not None:
        worker = trial.worker.name
    return trial_row(
        (
            trial.pk,
            trial.experiment_id,
            trial.number,
            trial.attempt,
            worker,
            trial.status,
            trial.error,
            trial.extra,
            trial.created_at,
            trial.started_at,
            trial.ended_at,
            trial.heartbeat_at,
            trial.lease_expires_at,
        ),
        summaries,
    )


def trial_row(row: Sequence[Any], summaries: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """A trial as the API shows it, from its columns: id, experiment id, number, attempt,
    worker's name, status, error, extra, then its five times (created, started, ended,
    heartbeat, lease expiry; aware, or naive in UTC as SQLite's driver reads them)."""
    pk, experiment_id, number, attempt, worker, status, error, extra, *moments = row
    created, started, ended, heartbeat, lease_expires = (iso(_aware(x)) for x in moments)
    return {
        "id": pk,
        "experiment_id": experiment_id,
        "number": number,
        "attempt": attempt,
        "worker": worker,
        "status": status,
        "error": error,
        "extra": bool(extra),
        "created_at": created,
        "started_at": started,
        "ended_at": ended,
        "heartbeat_at": heartbeat,
        "lease_expires_at": lease_expires,
        "summaries": summaries or {},
    }


def trial_check_exists(trial_id: int) -> None:
    """``NotFound`` naming ``trial_id`` when there is no such trial."""
    if not Trial.objects.filter(pk=trial_id).exists():
        raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"})


def trial_detail(*, trial_id: int) -> dict[str, Any]:
    """One trial with its experiment's setting and its summaries.

    In SQL: it answers every ``trial()`` and every trial's end, where the ORM's cost per
    query (not the database's work) was most of the request's time."""
    t, e, g = Trial._meta.db_table, Experiment._meta.db_table, Group._meta.db_table
    w, p = Worker._meta.db_table, PackageSet._meta.db_table
    s, m = Summary._meta.db_table, Metric._meta.db_table
    trial_sql = (
        "SELECT t.id, t.experiment_id, t.number, t.attempt, w.name, t.status, t.error, "
        "t.extra, t.created_at, t.started_at, t.ended_at, t.heartbeat_at, "
        "t.lease_expires_at, g.name, e.identifier, e.hyper_parameters, t.context, "
        f"p.packages, p.key FROM {t} t JOIN {e} e ON e.id = t.experiment_id "
        f"JOIN {g} g ON g.id = e.group_id LEFT JOIN {w} w ON w.id = t.worker_id "
        f"LEFT JOIN {p} p ON p.id = t.package_set_id WHERE t.id = %s"
    )
    summaries_sql = (
        "SELECT m.name, m.mode, s.count, s.min_value, s.max_value, s.last_step, "
        f"s.last_value FROM {s} s JOIN {m} m ON m.id = s.metric_id WHERE s.trial_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(trial_sql, [trial_id])
        found = cursor.fetchone()
        if found is None:
            raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"})
        cursor.execute(summaries_sql, [trial_id])
        summary_rows = cursor.fetchall()
    group, identifier, hyper_parameters, context, packages, packages_key = found[13:]
    summaries = {name: _summary(*row) for name, *row in summary_rows}
    return {
        **trial_row(found[:13], summaries),
        "group": group,
        "identifier": identifier,
        "hyper_parameters": _json(hyper_parameters),
        "context": None
        if context is None
        else {
            **_json(context),
            "packages": [] if packages_key is None else _json(packages),
            "packages_hash": packages_key,
        },
    }


def _aware(moment: datetime | str | None) -> datetime | None:
    """A time column read in SQL as the ORM gives it: aware, in UTC (SQLite's driver
    gives the naive UTC time Django stored)."""
    parsed = parse_datetime(moment) if isinstance(moment, str) else moment
    if parsed is not None and parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed


def _json(value: Any) -> Any:
    """A JSON column read in SQL (text from both databases' drivers under Django)."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value
