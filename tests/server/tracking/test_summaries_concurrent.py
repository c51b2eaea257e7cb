"""Batches for one series committed at the same time leave its summary true."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

from kuro.server.tracking.models import Summary
from kuro.server.tracking.selectors import series_points
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)

N_POINTS = 10_000
ROUNDS = 6


def _write_at_once(batches: list[list[PointSeries]]) -> None:
    """Each batch from its own thread (its own connection and transaction), at once."""
    barrier = threading.Barrier(len(batches))
    errors: list[BaseException] = []

    def write(series: list[PointSeries]) -> None:
        try:
            barrier.wait()
            points_ingest(series=series)
        except BaseException as exc:  # reported to the test's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_halves_of_a_series_are_both_counted():
    """Two halves of a 10,000-point series POSTed at once, several rounds: the summary
    equals what the stored points say (count, min, max, last step and value)."""
    experiment = experiment_get_or_create(
        group="g", identifier="m", n_trials=ROUNDS, metrics=[("acc", "max")]
    )
    rng = random.Random(7)
    wrong = []
    for round_ in range(ROUNDS):
        trial = trial_acquire(experiment_id=experiment.pk, worker=f"w{round_}")
        values = [rng.random() for _ in range(N_POINTS)]
        half = N_POINTS // 2
        _write_at_once(
            [
                [PointSeries(trial.pk, "acc", range(lo, lo + half), values[lo : lo + half])]
                for lo in (0, half)
            ]
        )
        summary = Summary.objects.get(trial=trial)
        [points] = series_points(trial_ids=[trial.pk], metric_ids=[summary.metric_id]).values()
        truth = (len(points), points.values.min(), points.values.max(), points.steps[-1])
        got = (summary.count, summary.min_value, summary.max_value, summary.last_step)
        if got != truth or summary.last_value != values[-1]:
            wrong.append((round_, got, truth))
    assert wrong == []
