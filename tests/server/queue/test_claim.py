"""Claiming work: atomic, oldest first, leases that expire into retries, stale writes refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kuro.core.errors import LeaseLost
from kuro.server.queue.services import (
    leases_reap,
    trial_end_requeued,
    work_claim,
    work_enqueue,
)
from kuro.server.tracking.models import Trial
from kuro.server.tracking.services import (
    PointSeries,
    points_ingest,
    trial_acquire,
    trial_end,
    trial_heartbeat,
)


@pytest.mark.django_db
def test_claim_takes_oldest_first_and_sets_lease():
    """The first queued trial goes to the worker, running, with a lease in the future."""
    work_enqueue(group="g", identifier="a", n_trials=1)
    work_enqueue(group="g", identifier="b", n_trials=1)
    trial = work_claim(worker="w1")
    assert (trial.experiment.identifier, trial.status, trial.worker.name) == ("a", "running", "w1")
    assert trial.lease_expires_at > timezone.now()


@pytest.mark.django_db
def test_claim_filters_by_group_and_answers_none_when_empty():
    """A group filter only claims that group's work; an empty queue answers None."""
    work_enqueue(group="g", identifier="a")
    assert work_claim(worker="w", group="other") is None
    assert work_claim(worker="w", group="g") is not None
    assert work_claim(worker="w", group="g") is None


@pytest.mark.django_db(transaction=True)
def test_racing_workers_never_share_a_trial():
    """Eight threads claiming 40 queued trials get each exactly once."""
    work_enqueue(group="g", identifier="m", grid={"x": list(range(20))}, n_trials=2)

    def drain(i: int) -> list[int]:
        got = []
        try:
            while (trial := work_claim(worker=f"w{i}")) is not None:
                got.append(trial.pk)
        finally:
            connection.close()
        return got

    with ThreadPoolExecutor(8) as pool:
        claimed = [pk for got in pool.map(drain, range(8)) for pk in got]
    assert len(claimed) == 40 == len(set(claimed))
    assert Trial.objects.filter(status="running").count() == 40


@pytest.mark.django_db
def test_expired_lease_requeues_as_next_attempt():
    """A silent worker's trial is marked lost and queued again as attempt 1, same number."""
    work_enqueue(group="g", identifier="m", lease_seconds=60)
    first = work_claim(worker="dead")
    assert leases_reap(now=timezone.now() + timedelta(seconds=61)) == 1
    first.refresh_from_db()
    assert first.status == "lost" and "lease" in first.error
    retry = work_claim(worker="alive")
    assert (retry.number, retry.attempt, retry.worker.name) == (0, 1, "alive")
    assert retry.pk != first.pk


@pytest.mark.django_db
def test_lost_attempt_writes_are_refused_and_touch_nothing():
    """Points, heartbeats and ends from the lost attempt are refused; the retry is clean."""
    work_enqueue(group="g", identifier="m", lease_seconds=60, metrics=[("loss", None)])
    first = work_claim(worker="dead")
    leases_reap(now=timezone.now() + timedelta(seconds=61))
    retry = work_claim(worker="alive")
    with pytest.raises(LeaseLost):
        points_ingest(
            series=[PointSeries(trial_id=first.pk, metric="loss", steps=[0], values=[9.0])]
        )
    with pytest.raises(LeaseLost):
        trial_heartbeat(trial_id=first.pk)
    with pytest.raises(LeaseLost):
        trial_end(trial_id=first.pk, status="complete")
    assert not retry.chunks.exists() and not first.chunks.exists()


@pytest.mark.django_db
def test_retry_budget_then_failed_with_reason():
    """With max_retries=1, the second loss fails the trial with the reason."""
    work_enqueue(group="g", identifier="m", lease_seconds=10, max_retries=1)
    later = timezone.now()
    for attempt in range(2):
        assert work_claim(worker=f"w{attempt}") is not None
        later += timedelta(seconds=11)
        leases_reap(now=later)
    statuses = list(Trial.objects.order_by("attempt").values_list("attempt", "status"))
    assert statuses == [(0, "lost"), (1, "failed")]
    assert "retry budget" in Trial.objects.get(attempt=1).error
    assert work_claim(worker="w9") is None


@pytest.mark.django_db
def test_heartbeat_renews_the_lease():
    """A heartbeat pushes the lease forward, so a live worker is never reaped."""
    work_enqueue(group="g", identifier="m", lease_seconds=60)
    trial = work_claim(worker="w")
    before = trial.lease_expires_at
    renewed = trial_heartbeat(trial_id=trial.pk)
    assert renewed.lease_expires_at >= before
    assert leases_reap(now=timezone.now() + timedelta(seconds=30)) == 0


@pytest.mark.django_db
def test_experiment_trial_claims_queued_work_of_that_experiment():
    """The original experiment.trial() rule takes a queued trial before creating one."""
    [experiment], _ = work_enqueue(group="g", identifier="m", n_trials=2)
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    assert (trial.number, trial.status, trial.lease_expires_at is not None) == (0, "running", True)
    assert Trial.objects.count() == 2


@pytest.mark.django_db
def test_failed_with_requeue_goes_back_to_the_queue():
    """An agent stopped at once ends its trial failed and queues the work again."""
    work_enqueue(group="g", identifier="m")
    first = work_claim(worker="w1")
    trial_end_requeued(trial_id=first.pk, error="stopped by SIGTERM")
    again = work_claim(worker="w2")
    assert (again.number, again.attempt, again.status) == (first.number, 1, "running")
    first.refresh_from_db()
    assert (first.status, first.error) == ("failed", "stopped by SIGTERM")
