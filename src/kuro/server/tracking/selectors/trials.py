"""Reads of trials and their per-metric summaries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection

from kuro._errors import NotFound
from kuro.server.tracking.models import Experiment, Metric, Point, Trial
from kuro.server.tracking.selectors.wire import iso, wire_value

__all__ = ["trial_detail", "trial_dict", "trial_summaries"]


def trial_summaries(
    *, trial_ids: Iterable[int] | None = None, group_id: int | None = None
) -> dict[int, dict[str, dict[str, Any]]]:
    """trial id -> metric name -> ``{"best", "last", "last_step", "count"}``, in one query.

    ``best`` follows the metric's mode and skips NaN (NaN when every value is NaN); ``last``
    is the value at the highest step. Give ``trial_ids``, or ``group_id`` for a whole group.
    """
    point, trial, experiment, metric = (
        m._meta.db_table for m in (Point, Trial, Experiment, Metric)
    )
    if group_id is not None:
        scope = (
            f"p.trial_id IN (SELECT t.id FROM {trial} t JOIN {experiment} e "
            "ON e.id = t.experiment_id WHERE e.group_id = %s)"
        )
        params: list[Any] = [group_id]
    else:
        ids = sorted(set(trial_ids or ()))
        if not ids:
            return {}
        scope = f"p.trial_id IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    sql = f"""
        WITH agg AS (
            SELECT p.trial_id, p.metric_id, COUNT(*) AS n, MIN(p.value) AS lo,
                   MAX(p.value) AS hi, MAX(p.step) AS last_step
            FROM {point} p WHERE {scope}
            GROUP BY p.trial_id, p.metric_id
        )
        SELECT agg.trial_id, m.name, m.mode, agg.n, agg.lo, agg.hi, agg.last_step, p.value
        FROM agg
        JOIN {metric} m ON m.id = agg.metric_id
        JOIN {point} p ON p.trial_id = agg.trial_id AND p.metric_id = agg.metric_id
                      AND p.step = agg.last_step
    """
    out: dict[int, dict[str, dict[str, Any]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for trial_id, name, mode, n, lo, hi, last_step, last in cursor.fetchall():
            out.setdefault(trial_id, {})[name] = {
                "best": wire_value(hi if mode == "max" else lo),
                "last": wire_value(last),
                "last_step": last_step,
                "count": n,
            }
    return out


def trial_dict(trial: Trial, summaries: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """A trial as the API shows it; ``worker_name`` must be annotated or selected."""
    worker = getattr(trial, "worker_name", None)
    if worker is None and trial.worker_id is not None:
        worker = trial.worker.name
    return {
        "id": trial.pk,
        "experiment_id": trial.experiment_id,
        "number": trial.number,
        "attempt": trial.attempt,
        "worker": worker,
        "status": trial.status,
        "error": trial.error,
        "extra": trial.extra,
        "created_at": iso(trial.created_at),
        "started_at": iso(trial.started_at),
        "ended_at": iso(trial.ended_at),
        "heartbeat_at": iso(trial.heartbeat_at),
        "lease_expires_at": iso(trial.lease_expires_at),
        "summaries": summaries or {},
    }


def trial_detail(*, trial_id: int) -> dict[str, Any]:
    """One trial with its experiment's setting and its summaries."""
    trial = Trial.objects.select_related("experiment__group", "worker").filter(pk=trial_id).first()
    if trial is None:
        raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"})
    data = trial_dict(trial, trial_summaries(trial_ids=[trial.pk]).get(trial.pk))
    experiment = trial.experiment
    data["group"] = experiment.group.name
    data["identifier"] = experiment.identifier
    data["hyper_parameters"] = experiment.hyper_parameters
    return data
