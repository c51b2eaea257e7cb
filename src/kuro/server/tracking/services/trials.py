"""Trial life cycle: acquire, heartbeat, end."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from kuro.core.errors import Conflict, InvalidInput, LeaseLost, NotFound
from kuro.core.statuses import END_STATUSES
from kuro.server.tracking.models import Experiment, Trial, Worker
from kuro.server.tracking.services.workers import worker_get_or_create

__all__ = ["trial_acquire", "trial_end", "trial_heartbeat", "trial_refuse_if_lost", "trial_start"]

_ACQUIRE_ATTEMPTS = 5


def trial_acquire(*, experiment_id: int, worker: str, extra: bool = False) -> Trial | None:
    """The trial this worker should run next for an experiment, or None when none is left.

    The original Kuro rule, made safe for crashes: resume this worker's unfinished trial of
    the experiment; else claim one of its queued trials; else start a new one while the
    experiment has fewer than ``n_trials`` trials (lost attempts do not count: their work
    was queued again); else None. With ``extra`` (offline replays), a trial beyond
    ``n_trials`` is still created, marked extra, never dropped.

    The experiment row is locked (PostgreSQL) or the write lock is held (SQLite's immediate
    transactions), and ``(experiment, number, attempt)`` is unique, so racing workers never
    overfill an experiment.
    """
    worker_obj = worker_get_or_create(name=worker)
    for _ in range(_ACQUIRE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _acquire_once(experiment_id, worker_obj, extra)
        except IntegrityError:
            continue  # another worker took the same number first: look again
    raise Conflict("could not acquire a trial: too many concurrent acquisitions, try again")


def _acquire_once(experiment_id: int, worker: Worker, extra: bool) -> Trial | None:
    try:
        experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    except Experiment.DoesNotExist:
        raise NotFound(
            f"experiment {experiment_id} does not exist", detail={"field": "experiment_id"}
        ) from None
    now = timezone.now()
    Worker.objects.filter(pk=worker.pk).update(last_seen_at=now, active=True)
    trials = Trial.objects.filter(experiment=experiment)
    resumed = trials.filter(worker=worker, status=Trial.Status.RUNNING).order_by("number").first()
    if resumed is not None:
        resumed.heartbeat_at = now
        resumed.save(update_fields=["heartbeat_at"])
        return resumed
    queued = trials.filter(status=Trial.Status.QUEUED).order_by("number", "attempt").first()
    if queued is not None:
        return trial_start(trial=queued, worker=worker, now=now)
    count = trials.exclude(status=Trial.Status.LOST).count()
    if count >= experiment.n_trials and not extra:
        return None
    top = trials.aggregate(top=Max("number"))["top"]
    return Trial.objects.create(
        experiment=experiment,
        worker=worker,
        number=0 if top is None else top + 1,
        status=Trial.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        extra=count >= experiment.n_trials,
    )


def trial_start(*, trial: Trial, worker: Worker, now: datetime) -> Trial:
    """Move a queued trial (locked by the caller) to running for a worker, with its lease."""
    trial.status = Trial.Status.RUNNING
    trial.worker = worker
    trial.started_at = now
    trial.heartbeat_at = now
    if trial.lease_seconds:
        trial.lease_expires_at = now + timedelta(seconds=trial.lease_seconds)
    trial.save(update_fields=["status", "worker", "started_at", "heartbeat_at", "lease_expires_at"])
    return trial


def _get_trial(trial_id: int) -> Trial:
    try:
        return Trial.objects.get(pk=trial_id)
    except Trial.DoesNotExist:
        raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"}) from None


def trial_refuse_if_lost(trial: Trial) -> None:
    """Writes from an attempt whose lease was taken over must not touch the new attempt."""
    if trial.status == Trial.Status.LOST:
        raise LeaseLost(
            f"trial {trial.pk} was lost (its lease expired) and its work went back to the "
            "queue; this attempt's writes are refused",
            detail={"field": "trial_id", "trial_id": trial.pk, "status": trial.status},
        )


def trial_heartbeat(*, trial_id: int) -> Trial:
    """Record that the trial's worker is alive, and renew its lease."""
    with transaction.atomic():
        trial = _get_trial(trial_id)
        trial_refuse_if_lost(trial)
        now = timezone.now()
        trial.heartbeat_at = now
        fields = ["heartbeat_at"]
        if trial.lease_seconds and trial.status == Trial.Status.RUNNING:
            trial.lease_expires_at = now + timedelta(seconds=trial.lease_seconds)
            fields.append("lease_expires_at")
        trial.save(update_fields=fields)
        if trial.worker_id is not None:
            Worker.objects.filter(pk=trial.worker_id).update(last_seen_at=now)
    return trial


def trial_end(*, trial_id: int, status: str, error: str = "") -> Trial:
    """End a running trial as complete, failed or pruned. Ending it again the same way is a
    no-op; a lost attempt cannot end. (Queueing its work again is the queue's
    ``trial_end_requeued``.)"""
    if status not in END_STATUSES:
        raise InvalidInput(
            f"a trial ends as 'complete', 'failed' or 'pruned', not {status!r}", field="status"
        )
    with transaction.atomic():
        trial = _get_trial(trial_id)
        trial_refuse_if_lost(trial)
        if trial.status == status:
            return trial
        if trial.status != Trial.Status.RUNNING:
            raise Conflict(
                f"trial {trial_id} already ended as {trial.status!r}",
                detail={"field": "status", "status": trial.status},
            )
        trial.status = status
        trial.error = error
        trial.ended_at = timezone.now()
        trial.lease_expires_at = None
        trial.save(update_fields=["status", "error", "ended_at", "lease_expires_at"])
    return trial
