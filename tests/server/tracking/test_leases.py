"""Every running trial holds a lease renewed by heartbeats; past it the trial is lost,
frees its slot, and reads see it without waiting for a worker's claim."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kuro.server.queue.services import leases as leases_module
from kuro.server.queue.services import leases_reap, work_claim, work_enqueue
from kuro.server.tracking.models import Trial
from kuro.server.tracking.services import experiment_get_or_create, trial_acquire

pytestmark = pytest.mark.django_db


def _expire(trial_id: int) -> None:
    Trial.objects.filter(pk=trial_id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_plain_trial_holds_a_lease_renewed_by_heartbeats(api, trial, settings):
    """experiment.trial() gives a lease of KURO_LEASE_SECONDS; a heartbeat renews it."""
    settings.KURO_QUEUE = {**settings.KURO_QUEUE, "lease_seconds": 600}
    assert trial["lease_expires_at"] is not None
    status, beat = api.post(f"/trials/{trial['id']}/heartbeat")
    assert status == 200 and beat["lease_expires_at"] > trial["lease_expires_at"]
    left = Trial.objects.get(pk=trial["id"]).lease_expires_at - timezone.now()
    assert timedelta(seconds=590) < left <= timedelta(seconds=600)


def test_a_silent_plain_trial_is_lost_and_frees_its_slot():
    """Past its lease a plain trial is lost (not queued again) and its slot is free."""
    experiment = experiment_get_or_create(group="g", identifier="m", n_trials=1)
    first = trial_acquire(experiment_id=experiment.pk, worker="w", session="dead")
    assert trial_acquire(experiment_id=experiment.pk, worker="v", session="s") is None
    _expire(first.pk)
    assert leases_reap() == 1
    first.refresh_from_db()
    assert first.status == "lost" and "silent" in first.error and first.ended_at is not None
    assert not Trial.objects.filter(status="queued").exists()
    second = trial_acquire(experiment_id=experiment.pk, worker="v", session="s")
    assert second is not None and second.number == 1


def test_lost_queued_work_is_queued_again():
    """Work the queue owns is queued again as the next attempt (trial_requeue)."""
    work_enqueue(group="g", identifier="m", lease_seconds=30)
    claimed = work_claim(worker="w")
    _expire(claimed.pk)
    assert leases_reap() == 1
    retry = Trial.objects.get(status="queued")
    assert (retry.number, retry.attempt) == (claimed.number, 1)


def test_reads_reap_without_a_claim(api, trial, monkeypatch):
    """A read (no /work call anywhere) sees the expired trial as lost."""
    monkeypatch.setattr(leases_module, "_next_reap", 0.0)
    monkeypatch.setattr(leases_module, "_started", 0.0)
    _expire(trial["id"])
    status, body = api.get(f"/trials/{trial['id']}")
    assert status == 200 and body["status"] == "lost"


def test_reaping_is_throttled_to_once_a_second(api, trial, monkeypatch):
    """Right after a reap, reads within the second do not reap again."""
    monkeypatch.setattr(leases_module, "_started", 0.0)
    monkeypatch.setattr(leases_module, "_next_reap", 0.0)
    api.get("/groups")
    _expire(trial["id"])
    assert api.get(f"/trials/{trial['id']}")[1]["status"] == "running"


def test_no_reaping_for_one_lease_after_the_server_starts(api, trial, monkeypatch):
    """Clients that ran through a server restart get one lease to heartbeat first."""
    monkeypatch.setattr(leases_module, "_next_reap", 0.0)
    monkeypatch.setattr(leases_module, "_started", leases_module.time.monotonic())
    _expire(trial["id"])
    assert api.get(f"/trials/{trial['id']}")[1]["status"] == "running"
