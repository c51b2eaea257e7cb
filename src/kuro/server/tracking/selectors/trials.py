"""Reads of trials and their per-metric summaries."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from kuro.core.errors import NotFound
from kuro.server.tracking.models import Summary, Trial
from kuro.server.tracking.selectors.moments import iso

__all__ = ["trial_check_exists", "trial_detail", "trial_dict", "trial_summaries"]


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
        out.setdefault(trial_id, {})[name] = {
            "best": _float(hi if mode == "max" else lo),
            "last": _float(last),
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


def trial_check_exists(trial_id: int) -> None:
    """``NotFound`` naming ``trial_id`` when there is no such trial."""
    if not Trial.objects.filter(pk=trial_id).exists():
        raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"})


def trial_detail(*, trial_id: int) -> dict[str, Any]:
    """One trial with its experiment's setting and its summaries."""
    trial = (
        Trial.objects.select_related("experiment__group", "worker", "package_set")
        .filter(pk=trial_id)
        .first()
    )
    if trial is None:
        raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"})
    data = trial_dict(trial, trial_summaries(trial_ids=[trial.pk]).get(trial.pk))
    experiment = trial.experiment
    data["group"] = experiment.group.name
    data["identifier"] = experiment.identifier
    data["hyper_parameters"] = experiment.hyper_parameters
    data["context"] = trial_context(trial)
    return data


def trial_context(trial: Trial) -> dict[str, Any] | None:
    """The run context ``trial`` sent, with its packages resolved; None before it came."""
    if trial.context is None:
        return None
    package_set = trial.package_set
    return {
        **trial.context,
        "packages": [] if package_set is None else package_set.packages,
        "packages_hash": None if package_set is None else package_set.key,
    }
