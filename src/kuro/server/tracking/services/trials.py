"""Trial life cycle: acquire, heartbeat, end."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from kuro._errors import Conflict, InvalidInput, NotFound
from kuro.server.tracking.models import Experiment, Trial, Worker
from kuro.server.tracking.services.workers import worker_get_or_create

__all__ = ["trial_acquire", "trial_end", "trial_heartbeat"]

_ACQUIRE_ATTEMPTS = 5


def trial_acquire(*, experiment_id: int, worker: str) -> Trial | None:
    """The trial this worker should run next for an experiment, or None when none is left.

    The original Kuro rule, made safe for crashes: resume this worker's unfinished trial of
    the experiment; else start a new one while the experiment has fewer than ``n_trials``
    trials; else None. The experiment row is locked (PostgreSQL) or the write lock is held
    (SQLite's immediate transactions), and ``(experiment, number)`` is unique, so racing
    workers never overfill an experiment.
    """
    worker_obj = worker_get_or_create(name=worker)
    for _ in range(_ACQUIRE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _acquire_once(experiment_id, worker_obj)
        except IntegrityError:
            continue  # another worker took the same number first: look again
    raise Conflict("could not acquire a trial: too many concurrent acquisitions, try again")


def _acquire_once(experiment_id: int, worker: Worker) -> Trial | None:
    try:
        experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    except Experiment.DoesNotExist:
        raise NotFound(
            f"experiment {experiment_id} does not exist", detail={"field": "experiment_id"}
        ) from None
    now = timezone.now()
    resumed = (
        Trial.objects.filter(experiment=experiment, worker=worker, status=Trial.Status.RUNNING)
        .order_by("number")
        .first()
    )
    if resumed is not None:
        resumed.heartbeat_at = now
        resumed.save(update_fields=["heartbeat_at"])
        return resumed
    count = Trial.objects.filter(experiment=experiment).count()
    if count >= experiment.n_trials:
        return None
    Worker.objects.filter(pk=worker.pk).update(last_seen_at=now, active=True)
    return Trial.objects.create(
        experiment=experiment, worker=worker, number=count, heartbeat_at=now
    )


def _get_trial(trial_id: int) -> Trial:
    try:
        return Trial.objects.get(pk=trial_id)
    except Trial.DoesNotExist:
        raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"}) from None


def trial_heartbeat(*, trial_id: int) -> Trial:
    """Record that the trial's worker is alive."""
    trial = _get_trial(trial_id)
    now = timezone.now()
    Trial.objects.filter(pk=trial_id).update(heartbeat_at=now)
    if trial.worker_id is not None:
        Worker.objects.filter(pk=trial.worker_id).update(last_seen_at=now)
    trial.heartbeat_at = now
    return trial


def trial_end(*, trial_id: int, status: str, error: str = "") -> Trial:
    """End a running trial as complete or failed. Ending it again the same way is a no-op."""
    if status not in (Trial.Status.COMPLETE, Trial.Status.FAILED):
        raise InvalidInput(
            f"a trial ends as 'complete' or 'failed', not {status!r}", field="status"
        )
    with transaction.atomic():
        trial = _get_trial(trial_id)
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
        trial.save(update_fields=["status", "error", "ended_at"])
    return trial
