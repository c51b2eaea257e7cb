"""Claiming work: the next queued trial moves to running for one worker, atomically."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kuro.core.errors import NotFound
from kuro.server.queue.models import Sweep
from kuro.server.queue.services.leases import leases_reap, locked
from kuro.server.queue.services.sweeps import sweep_ask
from kuro.server.tracking.models import Trial, Worker
from kuro.server.tracking.services.trials import trial_start
from kuro.server.tracking.services.workers import worker_get_or_create

__all__ = ["work_claim"]


def work_claim(
    *, worker: str, group: str | None = None, sweep_id: int | None = None
) -> Trial | None:
    """The next queued trial (oldest first) for this worker, or None when there is none.

    A compare-and-set: a trial moves from queued to running only if it is still queued,
    in one short transaction (``skip_locked`` on PostgreSQL, an immediate transaction on
    SQLite), so two workers never get the same trial. Expired leases are reaped first.
    With a sweep and nothing queued, the sweep's sampler proposes a new configuration.
    """
    sweep = None
    if sweep_id is not None:
        sweep = Sweep.objects.filter(pk=sweep_id).first()
        if sweep is None:
            raise NotFound(f"sweep {sweep_id} does not exist", detail={"field": "sweep"})
    worker_obj = worker_get_or_create(name=worker)
    leases_reap()
    trial = _claim_queued(worker_obj, group, sweep)
    if trial is None and sweep is not None and sweep_ask(sweep=sweep) is not None:
        trial = _claim_queued(worker_obj, group, sweep)
    return trial


def _claim_queued(worker: Worker, group: str | None, sweep: Sweep | None) -> Trial | None:
    queued = Trial.objects.filter(status=Trial.Status.QUEUED)
    if group is not None:
        queued = queued.filter(experiment__group__name=group)
    if sweep is not None:
        queued = queued.filter(experiment__sweep_config__sweep=sweep)
    with transaction.atomic():
        trial = locked(queued).order_by("created_at", "id").first()
        if trial is None:
            return None
        return trial_start(trial=trial, worker=worker, now=timezone.now())
