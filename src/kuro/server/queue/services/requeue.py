"""Queueing work again: the one rule for an attempt's next attempt and its retry budget,
whether its worker went silent (``leases_reap``) or an agent ended it with ``requeue``."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction

from kuro.server.tracking.models import Trial
from kuro.server.tracking.services import trial_end

__all__ = ["trial_end_requeued", "trial_requeue"]


def trial_requeue(*, trial: Trial, reason: str, now: datetime, lost: bool = False) -> Trial | None:
    """End the attempt ``trial`` (running or just failed, locked by the caller) and queue
    its work again as the next attempt, same number, while its retry budget lasts.

    The budget is the trial's ``max_retries`` (set when it was queued); a trial that was
    never queued work (``experiment.trial()``, no lease) gets the server's
    ``KURO_LEASE_SECONDS`` and ``KURO_MAX_RETRIES``. With budget left the attempt ends
    ``lost`` (its worker went silent: its late writes are refused) or ``failed``, and the
    new queued trial is answered; past it, the attempt fails with ``reason`` and that the
    budget is spent, and None is answered.
    """
    defaults = settings.KURO_QUEUE
    budget = trial.max_retries if trial.lease_seconds else defaults["max_retries"]
    trial.ended_at = trial.ended_at or now
    trial.lease_expires_at = None
    retry = None
    if trial.attempt < budget:
        if lost:
            trial.status = Trial.Status.LOST
            trial.error = f"{reason}; queued again as attempt {trial.attempt + 2}"
        else:
            trial.status = Trial.Status.FAILED
            trial.error = reason
        retry = Trial.objects.create(
            experiment_id=trial.experiment_id,
            number=trial.number,
            attempt=trial.attempt + 1,
            status=Trial.Status.QUEUED,
            lease_seconds=trial.lease_seconds or defaults["lease_seconds"],
            max_retries=budget,
        )
    else:
        trial.status = Trial.Status.FAILED
        trial.error = f"{reason} on attempt {trial.attempt + 1} of {budget + 1}: retry budget spent"
    trial.save(update_fields=["status", "error", "ended_at", "lease_expires_at"])
    return retry


def trial_end_requeued(*, trial_id: int, error: str = "") -> Trial:
    """End a running trial as failed with ``error`` and queue its work again
    (``trial_requeue``), in one transaction: what an agent told to stop at once asks.

    Ending it again the same way is a no-op, as with ``trial_end``: the work is queued once.
    """
    with transaction.atomic():
        rows = Trial.objects.select_for_update().filter(pk=trial_id)
        before = rows.values_list("status", flat=True).first()
        trial = trial_end(trial_id=trial_id, status=Trial.Status.FAILED, error=error)
        if before == Trial.Status.RUNNING:
            trial_requeue(trial=trial, reason=error, now=trial.ended_at)
    return trial
