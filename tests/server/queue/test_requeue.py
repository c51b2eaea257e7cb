"""Queueing work again as the next attempt: one rule and one retry budget, whether the
worker went silent (lease expired) or an agent ended its trial with ``requeue``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kuro.server.queue.services import leases_reap, work_claim, work_enqueue
from kuro.server.tracking.models import Trial

pytestmark = pytest.mark.django_db


def _end(api, trial_id: int, error: str, requeue: bool = True) -> dict:
    status, body = api.post(
        f"/trials/{trial_id}/end", {"status": "failed", "error": error, "requeue": requeue}
    )
    assert status == 200, body
    return body


def test_requeue_goes_back_to_the_queue_as_the_next_attempt(api):
    """An agent stopped at once ends its trial failed (its error kept) and the work is
    claimed again as attempt 1 with the same number and lease."""
    work_enqueue(group="g", identifier="m", lease_seconds=30)
    first = work_claim(worker="w1")
    ended = _end(api, first.pk, "stopped by SIGTERM")
    assert (ended["status"], ended["error"]) == ("failed", "stopped by SIGTERM")
    again = work_claim(worker="w2")
    assert (again.number, again.attempt, again.lease_seconds) == (first.number, 1, 30)


def test_requeue_stops_when_the_retry_budget_is_spent(api):
    """Ending with requeue=true again and again stops after max_retries: the last attempt
    fails saying the budget is spent, and no new queued trial appears."""
    work_enqueue(group="g", identifier="m", max_retries=2)
    for _ in range(3):
        trial = work_claim(worker="w")
        assert trial is not None
        last = _end(api, trial.pk, "stopped by the agent's second signal")
    assert last["attempt"] == 2 and last["status"] == "failed"
    assert "retry budget spent" in last["error"]
    assert last["error"].startswith("stopped by the agent's second signal")
    assert not Trial.objects.filter(status="queued").exists()
    assert work_claim(worker="w") is None
    assert Trial.objects.count() == 3


def test_requeue_again_the_same_way_queues_once(api):
    """Repeating an end with requeue (a client resending a lost answer) queues no more."""
    work_enqueue(group="g", identifier="m")
    first = work_claim(worker="w")
    _end(api, first.pk, "stopped")
    _end(api, first.pk, "stopped")
    assert Trial.objects.filter(status="queued").count() == 1


def test_requeue_of_a_trial_that_was_never_queued_uses_the_server_defaults(api, settings):
    """A trial of ``experiment.trial()`` (no lease) is queued again with the server's lease
    and retry budget (KURO_LEASE_SECONDS, KURO_MAX_RETRIES)."""
    settings.KURO_QUEUE = {**settings.KURO_QUEUE, "lease_seconds": 45, "max_retries": 1}
    _, experiment = api.post("/experiments", {"group": "g", "identifier": "m"})
    _, acquired = api.post(f"/experiments/{experiment['id']}/trials", {"worker": "w"})
    _end(api, acquired["trial"]["id"], "stopped")
    retry = work_claim(worker="w")
    assert (retry.attempt, retry.lease_seconds, retry.max_retries) == (1, 45, 1)
    last = _end(api, retry.pk, "stopped again")
    assert "retry budget spent" in last["error"]
    assert work_claim(worker="w") is None


def test_requeue_only_for_a_failed_trial(api):
    """requeue with another status is refused, naming the field."""
    work_enqueue(group="g", identifier="m")
    trial = work_claim(worker="w")
    status, body = api.post(f"/trials/{trial.pk}/end", {"status": "complete", "requeue": True})
    assert (status, body["detail"]["field"]) == (422, "requeue")


def test_a_lost_and_a_requeued_attempt_share_one_budget(api):
    """A silent worker and an agent's requeue spend the same budget."""
    work_enqueue(group="g", identifier="m", lease_seconds=10, max_retries=1)
    first = work_claim(worker="w")
    assert leases_reap(now=timezone.now() + timedelta(seconds=11)) == 1
    retry = work_claim(worker="w")
    last = _end(api, retry.pk, "stopped")
    assert "retry budget spent" in last["error"]
    assert list(Trial.objects.order_by("attempt").values_list("status", flat=True)) == [
        "lost",
        "failed",
    ]
    assert first.pk != retry.pk
