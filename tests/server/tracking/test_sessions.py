"""A running trial is held by one client session: a second live process with the same
worker name gets its own trial; the holder, or anyone once its lease expired, resumes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kuro.server.tracking.models import Trial
from kuro.server.tracking.services import experiment_get_or_create, trial_acquire

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment():
    return experiment_get_or_create(group="g", identifier="m", n_trials=2)


def _acquire(api, experiment_id: int, **body) -> dict | None:
    status, answer = api.post(f"/experiments/{experiment_id}/trials", body)
    assert status == 200, answer
    return answer["trial"]


def test_two_live_sessions_of_one_worker_get_their_own_trials(api, experiment):
    """Two processes both named 'nibel' started at once get trials 0 and 1, not one trial."""
    a = _acquire(api, experiment.pk, worker="nibel", session="s-a")
    b = _acquire(api, experiment.pk, worker="nibel", session="s-b")
    assert (a["number"], b["number"]) == (0, 1)
    # Each resumes its own trial.
    assert _acquire(api, experiment.pk, worker="nibel", session="s-a")["id"] == a["id"]
    assert _acquire(api, experiment.pk, worker="nibel", session="s-b")["id"] == b["id"]


def test_no_trial_when_the_slots_hold_live_trials_of_other_sessions(api, experiment):
    """With every slot held by live sessions, a third session of the worker gets none."""
    _acquire(api, experiment.pk, worker="nibel", session="s-a")
    _acquire(api, experiment.pk, worker="nibel", session="s-b")
    status, answer = api.post(
        f"/experiments/{experiment.pk}/trials", {"worker": "nibel", "session": "s-c"}
    )
    assert status == 200 and answer == {"trial": None, "reason": "no_more_trials"}


def test_a_trial_whose_holder_lease_expired_is_resumed_by_a_new_session(experiment):
    """A restarted worker (new session) resumes its trial once the dead holder's lease
    expired; within the lease it gets another trial while a slot is free."""
    first = trial_acquire(experiment_id=experiment.pk, worker="w", session="old")
    within = trial_acquire(experiment_id=experiment.pk, worker="w", session="new")
    assert within.pk != first.pk
    Trial.objects.filter(pk=first.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    third = trial_acquire(experiment_id=experiment.pk, worker="w", session="third")
    assert third.pk == first.pk
    third.refresh_from_db()
    assert third.session == "third" and third.lease_expires_at > timezone.now()


def test_clients_without_a_session_resume_as_before(experiment):
    """Old clients (no session) resume the worker's unfinished trial, whoever holds it."""
    first = trial_acquire(experiment_id=experiment.pk, worker="w", session="s-a")
    assert trial_acquire(experiment_id=experiment.pk, worker="w").pk == first.pk
    legacy = trial_acquire(experiment_id=experiment.pk, worker="v")
    assert trial_acquire(experiment_id=experiment.pk, worker="v", session="s").pk == legacy.pk


def test_session_is_at_most_100_characters(api, experiment):
    """A session id longer than 100 characters is refused naming the field."""
    status, answer = api.post(
        f"/experiments/{experiment.pk}/trials", {"worker": "w", "session": "x" * 101}
    )
    assert status == 422 and answer["detail"]["field"] == "session"


def test_a_restart_naming_its_dead_session_resumes_at_once(api, experiment):
    """A process that names the crashed session it replaces resumes its trial within the
    lease; naming someone else's live session as dead is not how a stranger gets in: only
    this worker's trials are considered."""
    a = _acquire(api, experiment.pk, worker="nibel", session="s-a")
    again = _acquire(api, experiment.pk, worker="nibel", session="s-a2", resume=["s-a"])
    assert again["id"] == a["id"]
    # The trial is now held by the new session: the old one no longer resumes it.
    other = _acquire(api, experiment.pk, worker="nibel", session="s-a")
    assert other["id"] != a["id"]
    stranger = _acquire(api, experiment.pk, worker="other", session="s-x", resume=["s-a2"])
    assert stranger is None or stranger["id"] != a["id"]
