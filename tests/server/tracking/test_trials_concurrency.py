"""Racing acquisitions never overfill an experiment (real concurrent connections)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kuro.server.tracking.models import Trial
from kuro.server.tracking.services import experiment_get_or_create, trial_acquire

pytestmark = pytest.mark.django_db(transaction=True)


def test_sixteen_workers_race_for_three_slots():
    """Exactly n_trials trials exist, with distinct numbers, whoever wins."""
    experiment = experiment_get_or_create(group="g", identifier="race", n_trials=3)

    def acquire(i: int):
        try:
            trial = trial_acquire(experiment_id=experiment.pk, worker=f"w{i}")
            return None if trial is None else trial.number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(acquire, range(16)))
    won = sorted(n for n in numbers if n is not None)
    assert won == [0, 1, 2]
    assert Trial.objects.filter(experiment=experiment).count() == 3
