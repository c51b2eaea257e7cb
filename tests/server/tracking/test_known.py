"""The write path's facts kept per process (``services.known``): learned once committed,
used only while true, and a trial's heartbeat written at most once a second by batches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kuro.server.tracking.models import Chunk, Experiment, Metric, Summary, Trial
from kuro.server.tracking.selectors import metric_history
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)
from kuro.server.tracking.services import points as points_service
from kuro.server.tracking.services.known import known

METRICS_QUERY = "FROM tracking_metric m WHERE m.name IN"


@pytest.fixture(autouse=True)
def _forget():
    known.clear()
    yield
    known.clear()


def _series(trial_id: int, steps: list[int], metric: str = "loss") -> PointSeries:
    return PointSeries(trial_id=trial_id, metric=metric, steps=steps, values=[0.5] * len(steps))


def _sent(batch: list[PointSeries]) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        points_ingest(series=batch)
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_a_known_trial_reads_no_metrics_on_postgresql():
    """Once a batch has committed, the next for the same trial and metrics reads neither
    its metrics nor its links on PostgreSQL (SQLite reads them every time), and its points
    and summary are stored as any."""
    experiment = experiment_get_or_create(group="g", identifier="k", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w").pk
    known.clear()  # as in another server process than the one that made the trial
    assert any(METRICS_QUERY in sql for sql in _sent([_series(trial, [0, 1])]))
    second = _sent([_series(trial, [2, 3])])
    assert any(METRICS_QUERY in sql for sql in second) == (connection.vendor != "postgresql")
    series = metric_history(trial_ids=[trial])[0]["metrics"]["loss"]
    assert series["steps"] == [0, 1, 2, 3]
    assert Summary.objects.get(trial_id=trial).count == 4


@pytest.mark.django_db(transaction=True)
def test_a_trial_acquired_and_its_declared_metrics_are_known_at_its_first_batch():
    """The process that made the experiment (its declared metrics) and acquired the trial
    knows them: on PostgreSQL the trial's first batch reads no metrics either."""
    experiment = experiment_get_or_create(group="g", identifier="k", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w").pk
    first = _sent([_series(trial, [0, 1])])
    assert any(METRICS_QUERY in sql for sql in first) == (connection.vendor != "postgresql")
    assert metric_history(trial_ids=[trial])[0]["metrics"]["loss"]["steps"] == [0, 1]


@pytest.mark.django_db(transaction=True)
def test_a_new_metric_of_a_known_trial_is_read_and_created():
    """A metric not known yet sends the batch back to reading (and creating) its metrics."""
    experiment = experiment_get_or_create(group="g", identifier="k", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w").pk
    points_ingest(series=[_series(trial, [0])])
    points_ingest(series=[_series(trial, [1]), _series(trial, [1], metric="acc")])
    assert set(Metric.objects.values_list("name", flat=True)) == {"loss", "acc"}
    assert Chunk.objects.filter(trial_id=trial, metric__name="acc").count() == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_learned_from_a_batch_rolled_back():
    """Metrics created by a batch whose transaction is rolled back are not kept as known."""
    experiment = experiment_get_or_create(group="g", identifier="k", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w").pk
    with pytest.raises(RuntimeError), transaction.atomic():
        points_ingest(series=[_series(trial, [0], metric="acc")])
        points_ingest(series=[_series(trial, [1], metric="acc")])
        raise RuntimeError("rolled back")
    assert "acc" not in {name for _, name in known.metrics}
    points_ingest(series=[_series(trial, [0], metric="acc")])
    points_ingest(series=[_series(trial, [1], metric="acc")])
    assert metric_history(trial_ids=[trial])[0]["metrics"]["acc"]["steps"] == [0, 1]


@pytest.mark.django_db(transaction=True)
def test_a_trial_found_elsewhere_than_known_reads_its_metrics():
    """A known trial whose experiment and group are not those known (the database changed
    under the server) is written with the metrics of the group it is in now."""
    first = experiment_get_or_create(group="g1", identifier="k", metrics=[("loss", "min")])
    other = experiment_get_or_create(group="g2", identifier="k", metrics=[("loss", "max")])
    trial = trial_acquire(experiment_id=first.pk, worker="w").pk
    points_ingest(series=[_series(trial, [0])])
    points_ingest(series=[_series(trial, [1])])
    Trial.objects.filter(pk=trial).update(experiment=other)
    points_ingest(series=[_series(trial, [2])])
    moved = Metric.objects.get(group=other.group, name="loss")
    assert Chunk.objects.get(trial_id=trial, metric=moved).first_step == 2
    assert Experiment.metrics.through.objects.filter(experiment=other, metric=moved).exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_forgets_every_fact():
    """An error in the database (a fact may be stale: here a metric that is not there)
    empties the cache, and the next batch reads what it needs. PostgreSQL only keeps facts."""
    if connection.vendor != "postgresql":
        pytest.skip("facts are kept on PostgreSQL only")
    experiment = experiment_get_or_create(group="g", identifier="k", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w").pk
    points_ingest(series=[_series(trial, [0])])
    known.trials[trial] = known.trials.get(trial, (experiment.pk, experiment.group_id))
    known.metrics[(experiment.group_id, "gone")] = (10**9, "min")
    known.links.add((experiment.pk, 10**9))
    with pytest.raises(IntegrityError):
        points_ingest(series=[_series(trial, [1], metric="gone")])
    assert known.metrics == {}
    again = PointSeries(trial_id=trial, metric="gone", steps=[1], values=[0.5], mode="min")
    points_ingest(series=[again])
    assert metric_history(trial_ids=[trial])[0]["metrics"]["gone"]["steps"] == [1]


@pytest.mark.django_db
def test_batches_write_the_heartbeat_at_most_once_a_second(monkeypatch):
    """A batch leaves a heartbeat younger than ``HEARTBEAT_KEPT`` as it is and renews an
    older one."""
    experiment = experiment_get_or_create(group="g", identifier="k", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w").pk
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    Trial.objects.filter(pk=trial).update(heartbeat_at=old)
    points_ingest(series=[_series(trial, [0])])
    renewed = Trial.objects.get(pk=trial).heartbeat_at
    assert renewed > old
    points_ingest(series=[_series(trial, [1])])
    assert Trial.objects.get(pk=trial).heartbeat_at == renewed
    monkeypatch.setattr(points_service, "HEARTBEAT_KEPT", dt.timedelta(0))
    points_ingest(series=[_series(trial, [2])])
    assert Trial.objects.get(pk=trial).heartbeat_at > renewed
