"""Reads of the work queue: trials of queued work by status."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from kuro.server.tracking.models import Trial

__all__ = ["queue_status"]


def queue_status(*, group: str | None = None, sweep_id: int | None = None) -> dict[str, Any]:
    """Trials of queued work by status (work with a lease: enqueued or from a sweep)."""
    trials = Trial.objects.filter(lease_seconds__isnull=False)
    if group is not None:
        trials = trials.filter(experiment__group__name=group)
    if sweep_id is not None:
        trials = trials.filter(experiment__sweep_config__sweep_id=sweep_id)
    counts = dict(trials.values_list("status").annotate(n=Count("id")).order_by())
    return {"group": group, "sweep": sweep_id, "counts": counts, "total": sum(counts.values())}
