"""The summaries kept by the write path always equal a recount from the points."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from kuro.server.tracking.models import Chunk, Summary
from kuro.server.tracking.selectors import series_points
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)

pytestmark = pytest.mark.django_db

values = st.floats(allow_nan=True, allow_infinity=True, width=64)
batches = st.lists(
    st.lists(st.tuples(st.integers(0, 40), values), min_size=1, max_size=15),
    min_size=1,
    max_size=6,
)


def _recount(trial_id: int, metric_id: int) -> tuple:
    [points] = series_points(trial_ids=[trial_id], metric_ids=[metric_id]).values()
    values = points.values.tolist()
    finite = [v for v in values if not math.isnan(v)]
    return (
        len(values),
        min(finite, default=None),
        max(finite, default=None),
        points.steps.tolist()[-1],
        None if math.isnan(values[-1]) else values[-1],  # a summary's NULL is NaN
    )


@settings(max_examples=40)
@given(batches=batches)
def test_summary_equals_recount_after_any_batches(batches):
    """Appends, rewrites, out-of-order steps, NaN and infinities: the summary is exact."""
    Chunk.objects.all().delete()
    Summary.objects.all().delete()
    experiment = experiment_get_or_create(group="g", identifier="m", metrics=[("loss", None)])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    for batch in batches:
        points_ingest(
            series=[
                PointSeries(
                    trial_id=trial.pk,
                    metric="loss",
                    steps=[s for s, _ in batch],
                    values=[v for _, v in batch],
                )
            ]
        )
    [summary] = Summary.objects.filter(trial=trial)
    got = (
        summary.count,
        summary.min_value,
        summary.max_value,
        summary.last_step,
        summary.last_value,
    )
    assert got == _recount(trial.pk, summary.metric_id)


def test_appending_merges_without_recounting():
    """An append-only batch updates its summary without reading the series' points."""
    experiment = experiment_get_or_create(group="g", identifier="m", metrics=[("loss", None)])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    points_ingest(
        series=[
            PointSeries(
                trial_id=trial.pk,
                metric="loss",
                steps=list(range(1000)),
                values=[float(i) for i in range(1000)],
            )
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        points_ingest(
            series=[
                PointSeries(
                    trial_id=trial.pk, metric="loss", steps=[1000, 1001], values=[-1.0, math.inf]
                )
            ]
        )
    assert not any("GROUP BY" in q["sql"] for q in queries.captured_queries)
    summary = Summary.objects.get(trial=trial)
    assert (summary.count, summary.min_value, summary.max_value, summary.last_value) == (
        1002,
        -1.0,
        math.inf,
        math.inf,
    )
