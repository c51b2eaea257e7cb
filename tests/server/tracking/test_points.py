"""The one write path: batches of series, upserted, applied once per batch id."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.db.models import Sum
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from kuro.core.errors import Conflict, InvalidInput, ModeRequired, NotFound, PayloadTooLarge
from kuro.server.tracking.models import Chunk, IngestBatch, Metric, Summary
from kuro.server.tracking.selectors import metric_history
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
    trial_end,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial():
    experiment = experiment_get_or_create(group="g", identifier="m", metrics=[("loss", None)])
    return trial_acquire(experiment_id=experiment.pk, worker="w")


def _series(trial, steps, values, metric="loss", **kw):
    return PointSeries(trial_id=trial.pk, metric=metric, steps=steps, values=values, **kw)


def _history(trial, metric="loss"):
    return metric_history(trial_ids=[trial.pk])[0]["metrics"][metric]


def _stored() -> int:
    """How many points the chunks hold."""
    return Chunk.objects.aggregate(n=Sum("count"))["n"] or 0


def test_points_are_stored_in_step_order(trial):
    """Steps come back sorted with their values and times."""
    points_ingest(series=[_series(trial, [2, 0, 1], [0.2, 0.0, 0.1], times=[3.0, 1.0, 2.0])])
    h = _history(trial)
    assert (h["steps"], h["values"], h["times"]) == ([0, 1, 2], [0.0, 0.1, 0.2], [1.0, 2.0, 3.0])


def test_same_step_again_is_an_upsert_last_write_wins(trial):
    """Resending a step replaces its value; no duplicate row."""
    points_ingest(series=[_series(trial, [0, 1], [1.0, 2.0])])
    points_ingest(series=[_series(trial, [1], [5.0])])
    assert _history(trial)["values"] == [1.0, 5.0]
    assert _stored() == 2


def test_batch_id_is_applied_once(trial):
    """A resent batch (same id) does not overwrite what came after it."""
    first = points_ingest(series=[_series(trial, [0], [1.0])], batch_id="b-1")
    points_ingest(series=[_series(trial, [0], [2.0])], batch_id="b-2")
    again = points_ingest(series=[_series(trial, [0], [1.0])], batch_id="b-1")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert _history(trial)["values"] == [2.0]


def test_non_finite_values_round_trip(trial):
    """NaN, +Inf and -Inf are stored and returned faithfully, as floats."""
    points_ingest(series=[_series(trial, [0, 1, 2, 3], [math.nan, math.inf, -math.inf, 0.5])])
    values = _history(trial)["values"]
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 0.5]
    assert all(v.__class__ is float for v in values)


def test_extreme_finite_values_round_trip(trial):
    """The largest and smallest doubles and negative zero survive storage."""
    values = [1.7976931348623157e308, -1.7976931348623157e308, 5e-324, 1e-300]
    points_ingest(series=[_series(trial, [0, 1, 2, 3], values)])
    assert _history(trial)["values"] == values


def test_unknown_metric_with_inferable_name_is_created(trial):
    """A new metric named *acc* is created as max on first report."""
    points_ingest(series=[_series(trial, [0], [0.9], metric="val_acc")])
    assert _history(trial, "val_acc")["values"] == [0.9]
    assert trial.experiment.metrics.filter(name="val_acc", mode="max").exists()


def test_unknown_metric_without_mode_is_refused_with_field(trial):
    """A new metric whose mode cannot be inferred names the series at fault."""
    with pytest.raises(ModeRequired) as info:
        points_ingest(series=[_series(trial, [0], [1.0]), _series(trial, [0], [1.0], metric="x")])
    assert info.value.field == "series[1].metric"
    assert not Chunk.objects.exists()


def test_unknown_trial_is_not_found(trial):
    """A trial id that does not exist is named in the error."""
    with pytest.raises(NotFound) as info:
        points_ingest(series=[PointSeries(trial_id=424242, metric="loss", steps=[0], values=[1])])
    assert info.value.detail["field"] == "series[0].trial_id"


def test_mismatched_lengths_are_invalid(trial):
    """steps and values must pair up."""
    with pytest.raises(InvalidInput) as info:
        points_ingest(series=[_series(trial, [0, 1], [1.0])])
    assert info.value.field == "series[0].values"


@override_settings(
    KURO_LIMITS={"max_batch_points": 10, "max_body_bytes": 10**7, "max_history_trials": 10}
)
def test_oversize_batch_names_the_limit(trial):
    """A batch over the point limit is refused whole, naming the limit."""
    with pytest.raises(PayloadTooLarge) as info:
        points_ingest(series=[_series(trial, list(range(11)), [0.0] * 11)])
    assert info.value.detail["limit"] == 10
    assert not Chunk.objects.exists()


def test_many_trials_in_one_batch():
    """One batch may carry points for many trials."""
    experiment = experiment_get_or_create(group="g", identifier="m", n_trials=5)
    trials = [trial_acquire(experiment_id=experiment.pk, worker=f"w{i}") for i in range(5)]
    series = [
        PointSeries(
            trial_id=t.pk, metric="loss", steps=list(range(100)), values=[float(t.pk)] * 100
        )
        for t in trials
    ]
    assert points_ingest(series=series).n_points == 500
    histories = metric_history(trial_ids=[t.pk for t in trials])
    assert [h["metrics"]["loss"]["values"][0] for h in histories] == [float(t.pk) for t in trials]


def test_same_step_twice_in_one_batch_keeps_the_last(trial):
    """Within one batch too, a repeated step keeps its last value."""
    points_ingest(series=[_series(trial, [0, 1, 0, 1, 0], [1.0, 2.0, 3.0, 4.0, 5.0])])
    assert _history(trial)["values"] == [5.0, 4.0]
    assert _stored() == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_batch_commits_once_and_a_refused_one_leaves_nothing():
    """With no transaction open (as in a request), the batch's transaction is opened and
    committed with its statements (on PostgreSQL, in the same messages): a batch, a metric
    it creates and its id are committed; the batch resent is recognised; a batch naming an
    ended trial and a new metric is refused and leaves no point, metric or batch id."""
    experiment = experiment_get_or_create(group="g", identifier="tx", metrics=[("loss", None)])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    sent = [_series(trial, [0, 1], [-0.0, math.nan]), _series(trial, [0], [3.0], metric="acc")]
    assert not points_ingest(series=sent, batch_id="tx-1").duplicate
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert points_ingest(series=sent, batch_id="tx-1").duplicate
    trial_end(trial_id=trial.pk, status="complete")
    late = [_series(trial, [2], [1.0]), _series(trial, [0], [1.0], metric="new_acc")]
    with pytest.raises(Conflict):
        points_ingest(series=late, batch_id="tx-2")
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert sorted(IngestBatch.objects.values_list("batch_id", flat=True)) == ["tx-1"]
    assert not Metric.objects.filter(name="new_acc").exists()
    h = metric_history(trial_ids=[trial.pk])[0]["metrics"]
    assert h["loss"]["steps"] == [0, 1] and h["acc"]["values"] == [3.0]
    assert math.copysign(1.0, h["loss"]["values"][0]) == -1.0 and math.isnan(h["loss"]["values"][1])
    assert Summary.objects.get(trial=trial, metric__name="loss").count == 2


@pytest.mark.django_db(transaction=True)
def test_an_append_is_two_messages_on_postgresql_begin_and_commit_included():
    """On PostgreSQL an append to known series is two round trips in all: the reads with
    ``BEGIN``, the writes with ``COMMIT``. SQLite runs the same statements one by one."""
    experiment = experiment_get_or_create(group="g", identifier="rt", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    points_ingest(series=[_series(trial, list(range(600)), [0.5] * 600)], batch_id="rt-1")
    with CaptureQueriesContext(connection) as queries:
        points_ingest(series=[_series(trial, list(range(600, 1200)), [0.4] * 600)], batch_id="rt-2")
    # Django also lists the BEGIN and COMMIT it would send alone, whether or not it does.
    sent = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    if connection.vendor == "postgresql":
        assert len(sent) == 2, sent
        assert sent[0].startswith("BEGIN; ") and sent[1].endswith("; COMMIT")
    else:
        assert len(sent) > 2 and not any(";" in q for q in sent)
    assert _history(trial)["steps"] == list(range(1200))
