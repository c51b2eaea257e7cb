"""Reads for the dashboard: a selection of a group's experiments at full fidelity, and the
trials running now."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import F

from kuro.server.tracking.models import Trial
from kuro.server.tracking.selectors.export import group_export
from kuro.server.tracking.selectors.moments import iso

__all__ = ["running_trials", "selection_export"]


def selection_export(*, group: str, experiment_ids: Collection[int]) -> dict[str, Any]:
    """``group_export`` restricted to ``experiment_ids``: the same ``kuro.export/1`` document,
    every point of every series, for the experiments of the group that are listed."""
    return group_export(group=group, experiment_ids=experiment_ids)


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
