"""Leases: work whose worker went silent goes back to the queue, within a retry budget."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kuro.server.queue.services.requeue import trial_requeue
from kuro.server.tracking.models import Trial

__all__ = ["leases_reap", "locked"]


def locked(queryset: QuerySet[Trial]) -> QuerySet[Trial]:
    """``select_for_update(skip_locked=True)`` where the database has row locks (PostgreSQL);
    SQLite's immediate transactions already hold the only write lock."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def leases_reap(*, now: datetime | None = None) -> int:
    """Mark running trials whose lease expired as lost and queue their work again as the
    next attempt (``trial_requeue``); past the retry budget the last attempt fails with the
    reason instead. Answers how many trials were reaped."""
    now = now or timezone.now()
    expired = Trial.objects.filter(status=Trial.Status.RUNNING, lease_expires_at__lt=now)
    if not expired.exists():
        return 0  # the common case: no write transaction, no write lock taken
    with transaction.atomic():
        reaped = list(locked(expired).order_by("id"))
        for trial in reaped:
            silent = (
                f"worker went silent past its {trial.lease_seconds} s lease "
                f"(last heartbeat {trial.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
            trial_requeue(trial=trial, reason=silent, now=now, lost=True)
    return len(reaped)
