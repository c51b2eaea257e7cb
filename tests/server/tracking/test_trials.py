"""Acquiring trials with the original Kuro rule, made safe for crashes; ending trials."""

from __future__ import annotations

import pytest

from kuro.core.errors import Conflict, InvalidInput, NotFound
from kuro.server.tracking.models import Trial
from kuro.server.tracking.services import (
    experiment_get_or_create,
    trial_acquire,
    trial_end,
    trial_heartbeat,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def experiment():
    return experiment_get_or_create(group="g", identifier="m", n_trials=3)


def test_gives_n_trials_then_none(experiment):
    """Five calls with n_trials=3, each trial ended, give three trials then None."""
    got = []
    for _ in range(5):
        trial = trial_acquire(experiment_id=experiment.pk, worker="w")
        got.append(trial)
        if trial is not None:
            trial_end(trial_id=trial.pk, status="complete")
    assert [t.number for t in got[:3]] == [0, 1, 2]
    assert got[3:] == [None, None]


def test_unfinished_trial_is_resumed_by_its_worker(experiment):
    """A worker that crashed gets its running trial back instead of a new one."""
    first = trial_acquire(experiment_id=experiment.pk, worker="w")
    again = trial_acquire(experiment_id=experiment.pk, worker="w")
    assert again.pk == first.pk
    assert Trial.objects.count() == 1


def test_other_workers_get_new_trials(experiment):
    """Each worker gets its own trial while slots remain, then None."""
    trials = [trial_acquire(experiment_id=experiment.pk, worker=f"w{i}") for i in range(4)]
    assert [t.number for t in trials[:3]] == [0, 1, 2]
    assert trials[3] is None
    assert {t.worker.name for t in trials[:3]} == {"w0", "w1", "w2"}


def test_unknown_experiment_is_not_found():
    """An id that does not exist is a NotFound naming the field."""
    with pytest.raises(NotFound) as info:
        trial_acquire(experiment_id=999, worker="w")
    assert info.value.detail["field"] == "experiment_id"


def test_end_is_idempotent_and_conflicts_on_change(experiment):
    """Ending twice the same way is fine; ending a complete trial as failed is a conflict."""
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    trial_end(trial_id=trial.pk, status="complete")
    assert trial_end(trial_id=trial.pk, status="complete").status == "complete"
    with pytest.raises(Conflict):
        trial_end(trial_id=trial.pk, status="failed")


def test_end_failed_keeps_error_text(experiment):
    """A failed trial keeps its error and end time."""
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    ended = trial_end(trial_id=trial.pk, status="failed", error="CUDA out of memory")
    assert (ended.status, ended.error) == ("failed", "CUDA out of memory")
    assert ended.ended_at is not None


def test_end_with_unknown_status_is_invalid(experiment):
    """Only complete and failed end a trial."""
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    with pytest.raises(InvalidInput):
        trial_end(trial_id=trial.pk, status="running")


def test_heartbeat_moves_forward(experiment):
    """A heartbeat records a later time on the trial."""
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    before = trial.heartbeat_at
    assert trial_heartbeat(trial_id=trial.pk).heartbeat_at >= before


def test_extra_trial_beyond_n_trials_is_kept_and_marked(experiment):
    """Offline work replayed past n_trials is stored as an extra trial, never dropped."""
    for i in range(3):
        trial_end(
            trial_id=trial_acquire(experiment_id=experiment.pk, worker=f"w{i}").pk,
            status="complete",
        )
    assert trial_acquire(experiment_id=experiment.pk, worker="offline") is None
    extra = trial_acquire(experiment_id=experiment.pk, worker="offline", extra=True)
    assert (extra.number, extra.extra) == (3, True)
