"""Forgetting old batch ids: the ``IngestBatch`` rows that make a resent batch apply once.

A client resends a batch when it lost the answer, possibly much later: its spool outlives a
crash or a night offline, and ``kuro sync`` replays an offline run's batches whenever it is
run. So a batch id is kept for ``KURO_BATCH_RETENTION_DAYS`` (30 by default, ``0``: for ever),
and forgotten after: a batch replayed later than that would be applied again, its points
upserted over themselves (same steps, same values: the series does not change, only the
points' times may) and its summary recounted.

The pruning is amortized on the write path: each server process prunes after its first
batch, then after every ``PRUNE_EVERY`` batches or ``PRUNE_SECONDS`` seconds, whichever
comes first, deleting at most ``PRUNE_ROWS`` of the oldest ids, in a short transaction of
its own after the batch's: walking the primary key from its start, it reads no row that it
does not delete but a page's worth, whatever the table's size.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kuro.server.tracking.models import IngestBatch

__all__ = ["ingest_batches_prune", "ingest_batches_prune_due"]

PRUNE_EVERY = 1000  # batches of one process between prunes
PRUNE_SECONDS = 3600.0  # at most this long between prunes of a process that writes
# Ids deleted at most per prune: twice what ``PRUNE_EVERY`` batches add, so pruning keeps up.
PRUNE_ROWS = 2 * PRUNE_EVERY

_state = {"batches": 0, "at": float("-inf")}  # this process's: batches since, last prune


def ingest_batches_prune(*, before: datetime, limit: int = PRUNE_ROWS) -> int:
    """Delete the ids of batches received before ``before``, the oldest first, at most
    ``limit`` of them; returns how many were deleted."""
    with transaction.atomic():
        rows = list(IngestBatch.objects.order_by("pk").values_list("pk", "received_at")[:limit])
        # Ids grow with time (two batches received together may land in either order): the
        # old ones are a run at the start of the key.
        old = [pk for pk, received_at in rows if received_at < before]
        if not old:
            return 0
        deleted, _ = IngestBatch.objects.filter(pk__lte=max(old), received_at__lt=before).delete()
        return deleted


def ingest_batches_prune_due() -> int:
    """Called by the write path after each batch: prunes when this process is due (see the
    module's docstring); returns how many ids were deleted."""
    days = settings.KURO_BATCH_RETENTION_DAYS
    _state["batches"] += 1
    now = time.monotonic()
    if days <= 0 or (_state["batches"] < PRUNE_EVERY and now - _state["at"] < PRUNE_SECONDS):
        return 0
    _state["batches"], _state["at"] = 0, now
    return ingest_batches_prune(before=timezone.now() - timedelta(days=days))
