"""Leases: work whose worker went silent goes back to the queue, within a retry budget."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from kuro.server.queue.services.requeue import trial_requeue
from kuro.server.tracking.models import Trial
from kuro.server.tracking.services.trials import trial_lease_seconds, trial_mark_lost

__all__ = ["leases_reap", "leases_reap_if_due", "locked"]


def locked(queryset: QuerySet[Trial]) -> QuerySet[Trial]:
    """``select_for_update(skip_locked=True)`` where the database has row locks (PostgreSQL);
    SQLite's immediate transactions already hold the only write lock."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def leases_reap(*, now: datetime | None = None) -> int:
    """Mark running trials whose lease expired as lost. Work the queue owns (enqueued or
    from a sweep: it has ``lease_seconds``) is queued again as the next attempt
    (``trial_requeue``); past the retry budget the last attempt fails with the reason
    instead. A trial acquired with ``experiment.trial()`` is only marked lost: its slot is
    free for the next ``trial()``. Answers how many trials were reaped."""
    now = now or timezone.now()
    expired = Trial.objects.filter(status=Trial.Status.RUNNING, lease_expires_at__lt=now)
    if not expired.exists():
        return 0  # the common case: no write transaction, no write lock taken
    with transaction.atomic():
        reaped = list(locked(expired).order_by("id"))
        for trial in reaped:
            silent = (
                f"worker went silent past its {trial_lease_seconds(trial)} s lease "
                f"(last heartbeat {trial.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)"
            )
            if trial.lease_seconds:
                trial_requeue(trial=trial, reason=silent, now=now, lost=True)
            else:
                trial_mark_lost(trial=trial, reason=silent, now=now)
    return len(reaped)


_REAP_EVERY = 1.0  # seconds
_reap_lock = threading.Lock()
_next_reap = 0.0
_started = time.monotonic()


def leases_reap_if_due() -> int:
    """``leases_reap`` at most once a second per process, for the request path: reads see
    statuses within a lease and a second, and a read costs one indexed query a second.

    For one lease after the process starts nothing is reaped: clients that ran on through a
    server outage (or restart) get to heartbeat before their leases are judged."""
    global _next_reap
    now = time.monotonic()
    with _reap_lock:
        if now < _next_reap:
            return 0
        _next_reap = now + _REAP_EVERY
    if now - _started < settings.KURO_QUEUE["lease_seconds"]:
        return 0
    return leases_reap()
