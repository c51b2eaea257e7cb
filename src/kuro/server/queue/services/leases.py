"""Leases: work whose worker went silent goes back to the queue, within a retry budget."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from kuro.server.tracking.models import Trial

__all__ = ["leases_reap", "locked"]


def locked(queryset):
    """``select_for_update(skip_locked=True)`` where the database has row locks (PostgreSQL);
    SQLite's immediate transactions already hold the only write lock."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def leases_reap(*, now: datetime | None = None) -> int:
    """Mark running trials whose lease expired as lost and queue their work again as the
    next attempt; past ``max_retries`` the last attempt fails with the reason instead.
    Answers how many trials were reaped."""
    now = now or timezone.now()
    expired = Trial.objects.filter(status=Trial.Status.RUNNING, lease_expires_at__lt=now)
    if not expired.exists():
        return 0  # the common case: no write transaction, no write lock taken
    with transaction.atomic():
        expired = list(locked(expired).order_by("id"))
        retries = []
        for trial in expired:
            silent = (
                f"worker went silent past its {trial.lease_seconds} s lease "
                f"(last heartbeat {trial.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
            trial.ended_at = now
            trial.lease_expires_at = None
            if trial.attempt < trial.max_retries:
                trial.status = Trial.Status.LOST
                trial.error = f"{silent}; queued again as attempt {trial.attempt + 2}"
                retries.append(
                    Trial(
                        experiment_id=trial.experiment_id,
                        number=trial.number,
                        attempt=trial.attempt + 1,
                        status=Trial.Status.QUEUED,
                        lease_seconds=trial.lease_seconds,
                        max_retries=trial.max_retries,
                    )
                )
            else:
                trial.status = Trial.Status.FAILED
                trial.error = (
                    f"{silent} on attempt {trial.attempt + 1} of {trial.max_retries + 1}: "
                    "retry budget spent"
                )
            trial.save(update_fields=["status", "error", "ended_at", "lease_expires_at"])
        Trial.objects.bulk_create(retries)
    return len(expired)
