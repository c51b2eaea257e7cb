"""Trial life cycle: acquire, heartbeat, end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kuro.core.errors import Conflict, InvalidInput, LeaseLost, NotFound
from kuro.core.statuses import END_STATUSES
from kuro.server.tracking.models import Experiment, Trial, Worker
from kuro.server.tracking.services.contexts import package_set_resolve, trial_context_attach
from kuro.server.tracking.services.known import known
from kuro.server.tracking.services.workers import worker_get_or_create

__all__ = [
    "trial_acquire",
    "trial_end",
    "trial_heartbeat",
    "trial_lease_seconds",
    "trial_mark_lost",
    "trial_refuse_if_ended",
    "trial_refuse_if_lost",
    "trial_start",
]

_ACQUIRE_ATTEMPTS = 5


def trial_acquire(
    *,
    experiment_id: int,
    worker: str,
    extra: bool = False,
    session: str | None = None,
    resume: Sequence[str] = (),
    context: dict[str, Any] | None = None,
    packages: list[str] | None = None,
    packages_hash: str | None = None,
) -> Trial | None:
    """The trial this worker should run next for an experiment, or None when none is left.

    The original Kuro rule, made safe for crashes and for two live processes with the same
    worker name: resume this worker's unfinished trial of the experiment when it is held by
    the same client ``session``, or by one of the sessions the client names in ``resume``
    (its own earlier processes that it knows are dead: a restart after a crash resumes at
    once, as the original Kuro did), or its lease expired (its holder is dead), or it has no
    holder session (old clients); else claim one of its queued trials; else start a new one
    while the experiment has fewer than ``n_trials`` trials (lost attempts do not count:
    their slot is free again); else None. A trial held by another live session of the same
    worker is never shared. Without ``session`` (old clients) the worker's unfinished trial
    is resumed whoever holds it, as before. With ``extra`` (offline replays), a trial
    beyond ``n_trials`` is still created, marked extra, never dropped.

    The experiment row is locked (PostgreSQL) or the write lock is held (SQLite's immediate
    transactions), and ``(experiment, number, attempt)`` is unique, so racing workers never
    overfill an experiment.

    With ``context`` (and its packages, as ``trial_context_record`` takes them), the trial
    gets that run context in the same transaction unless it has one: one request where a
    client used to make two. Its packages are checked first, so a refusal acquires nothing.
    """
    package_set = None
    if context is not None:
        package_set = package_set_resolve(packages=packages, packages_hash=packages_hash)
    worker_obj = worker_get_or_create(name=worker)
    for _ in range(_ACQUIRE_ATTEMPTS):
        try:
            with transaction.atomic():
                trial = _acquire_once(experiment_id, worker_obj, extra, session, set(resume))
                if trial is not None and context is not None and package_set is not None:
                    trial_context_attach(trial=trial, context=context, package_set=package_set)
                if trial is not None and Trial.experiment.is_cached(trial):
                    # The write path need not read it again (PostgreSQL): ``services.known``.
                    owner = (trial.pk, trial.experiment_id, trial.experiment.group_id)
                    transaction.on_commit(partial(known.learn, [owner], [], []))
                return trial
        except IntegrityError:
            continue  # another worker took the same number first: look again
    raise Conflict("could not acquire a trial: too many concurrent acquisitions, try again")


def _resumable(trial: Trial, session: str | None, dead: set[str], now: datetime) -> bool:
    if session is None or trial.session is None or trial.session == session:
        return True
    if trial.session in dead:
        return True
    return trial.lease_expires_at is not None and trial.lease_expires_at < now


def _acquire_once(
    experiment_id: int, worker: Worker, extra: bool, session: str | None, dead: set[str]
) -> Trial | None:
    try:
        experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
    except Experiment.DoesNotExist:
        raise NotFound(
            f"experiment {experiment_id} does not exist", detail={"field": "experiment_id"}
        ) from None
    now = timezone.now()
    Worker.objects.filter(pk=worker.pk).update(last_seen_at=now, active=True)
    trials = Trial.objects.filter(experiment=experiment)
    # One read (in SQL: the ORM's cost here was the request's largest) says which of the
    # steps below has anything to look at: a new trial, the common case, reads no rows.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(CASE WHEN status <> %s THEN 1 ELSE 0 END), 0), MAX(number), "
            "COALESCE(SUM(CASE WHEN status = %s AND worker_id = %s THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN status = %s THEN 1 ELSE 0 END), 0) "
            f"FROM {Trial._meta.db_table} WHERE experiment_id = %s",
            [
                Trial.Status.LOST,
                Trial.Status.RUNNING,
                worker.pk,
                Trial.Status.QUEUED,
                experiment.pk,
            ],
        )
        count, top, n_mine, n_queued = cursor.fetchone()
    if n_mine:
        mine = trials.filter(worker=worker, status=Trial.Status.RUNNING).order_by("number")
        resumed = next((t for t in mine if _resumable(t, session, dead, now)), None)
        if resumed is not None:
            resumed.heartbeat_at = now
            resumed.lease_expires_at = now + timedelta(seconds=trial_lease_seconds(resumed))
            fields = ["heartbeat_at", "lease_expires_at"]
            if session is not None:
                resumed.session = session
                fields.append("session")
            resumed.save(update_fields=fields)
            return resumed
    if n_queued:
        queued = trials.filter(status=Trial.Status.QUEUED).order_by("number", "attempt").first()
        if queued is not None:
            return trial_start(trial=queued, worker=worker, now=now, session=session)
    if count >= experiment.n_trials and not extra:
        return None
    return Trial.objects.create(
        experiment=experiment,
        worker=worker,
        number=0 if top is None else top + 1,
        status=Trial.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        lease_expires_at=now + timedelta(seconds=settings.KURO_QUEUE["lease_seconds"]),
        session=session,
        extra=count >= experiment.n_trials,
    )


def trial_lease_seconds(trial: Trial) -> int:
    """How long the trial's lease lasts without a heartbeat: its own ``lease_seconds``
    (queued work), else the server's ``KURO_LEASE_SECONDS``."""
    return trial.lease_seconds or settings.KURO_QUEUE["lease_seconds"]


def trial_start(
    *, trial: Trial, worker: Worker, now: datetime, session: str | None = None
) -> Trial:
    """Move a queued trial (locked by the caller) to running for a worker, with its lease."""
    trial.status = Trial.Status.RUNNING
    trial.worker = worker
    trial.started_at = now
    trial.heartbeat_at = now
    trial.lease_expires_at = now + timedelta(seconds=trial_lease_seconds(trial))
    trial.session = session
    trial.save(
        update_fields=[
            "status",
            "worker",
            "started_at",
            "heartbeat_at",
            "lease_expires_at",
            "session",
        ]
    )
    return trial


def trial_mark_lost(*, trial: Trial, reason: str, now: datetime) -> Trial:
    """End a running trial (locked by the caller) whose lease expired as ``lost``: it frees
    its experiment's slot and refuses its late writes. (Queueing its work again, for work
    the queue owns, is the queue's ``trial_requeue``.)"""
    trial.status = Trial.Status.LOST
    trial.error = reason
    trial.ended_at = trial.ended_at or now
    trial.lease_expires_at = None
    trial.save(update_fields=["status", "error", "ended_at", "lease_expires_at"])
    return trial


def _get_trial(trial_id: int, *, lock: bool = False) -> Trial:
    rows = Trial.objects.select_for_update() if lock else Trial.objects
    try:
        return rows.get(pk=trial_id)
    except Trial.DoesNotExist:
        raise NotFound(f"trial {trial_id} does not exist", detail={"field": "trial_id"}) from None


def trial_refuse_if_lost(trial: Trial) -> None:
    """Writes from an attempt whose lease was taken over must not touch the new attempt."""
    if trial.status == Trial.Status.LOST:
        raise LeaseLost(
            f"trial {trial.pk} was lost (its lease expired); this attempt's writes are refused",
            detail={"field": "trial_id", "trial_id": trial.pk, "status": trial.status},
        )


def trial_refuse_if_ended(trial_id: int, status: str, *, field: str = "trial_id") -> None:
    """An ended trial takes no more points nor heartbeats: ``LeaseLost`` when it was lost,
    else ``Conflict`` naming the trial and its status."""
    if status == Trial.Status.LOST:
        raise LeaseLost(
            f"trial {trial_id} was lost (its lease expired); this attempt's writes are refused",
            detail={"field": field, "trial_id": trial_id, "status": status},
        )
    if status in Trial.ENDED:
        raise Conflict(
            f"trial {trial_id} already ended as {status!r}: it takes no more writes",
            detail={"field": field, "trial_id": trial_id, "status": status},
        )


def trial_heartbeat(*, trial_id: int) -> Trial:
    """Record that the trial's worker is alive, and renew its lease. An ended trial answers
    ``LeaseLost`` (lost) or ``Conflict`` (complete, failed, pruned)."""
    with transaction.atomic():
        trial = _get_trial(trial_id, lock=True)
        trial_refuse_if_ended(trial.pk, trial.status)
        now = timezone.now()
        trial.heartbeat_at = now
        fields = ["heartbeat_at"]
        if trial.status == Trial.Status.RUNNING:
            trial.lease_expires_at = now + timedelta(seconds=trial_lease_seconds(trial))
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
        trial = _get_trial(trial_id, lock=True)
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
