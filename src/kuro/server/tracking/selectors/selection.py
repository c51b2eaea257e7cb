"""Reads for the dashboard: a selection of a group's experiments at full fidelity, and the
trials running now."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import F
from django.utils import timezone

from kuro.server.tracking.models import Trial
from kuro.server.tracking.selectors.experiments import group_experiments
from kuro.server.tracking.selectors.export import EXPORT_SCHEMA
from kuro.server.tracking.selectors.history import metric_history
from kuro.server.tracking.selectors.wire import iso

__all__ = ["running_trials", "selection_export"]

_CHUNK = 500


def selection_export(*, group: str, experiment_ids: Collection[int]) -> dict[str, Any]:
    """``group_export`` restricted to ``experiment_ids``: the same ``kuro.export/1`` document,
    every point of every series, for the experiments of the group that are listed."""
    wanted = set(experiment_ids)
    data = group_experiments(group=group)
    experiments = [e for e in data["experiments"] if e["id"] in wanted]
    trials = [t for e in experiments for t in e["trials"]]
    for start in range(0, len(trials), _CHUNK):
        chunk = trials[start : start + _CHUNK]
        for trial, history in zip(
            chunk, metric_history(trial_ids=[t["id"] for t in chunk]), strict=True
        ):
            trial["series"] = {
                name: {k: s[k] for k in ("steps", "values", "times")}
                for name, s in history["metrics"].items()
            }
    return {
        "schema": EXPORT_SCHEMA,
        "group": data["group"],
        "exported_at": iso(timezone.now()),
        "metrics": data["metrics"],
        "experiments": experiments,
    }


def running_trials() -> list[dict[str, Any]]:
    """Every running trial with its worker, group, experiment and timings, newest first."""
    trials = (
        Trial.objects.filter(status=Trial.Status.RUNNING)
        .annotate(
            worker_name=F("worker__name"),
            group_name=F("experiment__group__name"),
            identifier=F("experiment__identifier"),
        )
        .order_by("-started_at", "-id")
    )
    return [
        {
            "id": t.pk,
            "number": t.number,
            "experiment_id": t.experiment_id,
            "identifier": t.identifier,
            "group": t.group_name,
            "worker": t.worker_name,
            "started_at": iso(t.started_at),
            "heartbeat_at": iso(t.heartbeat_at),
        }
        for t in trials
    ]
