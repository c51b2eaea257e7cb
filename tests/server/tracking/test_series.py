"""Reads out of chunks: exact reads stay exact, downsampled reads keep every extreme and
cost per chunk, not per point."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kuro.server.tracking.chunks import CHUNK_POINTS
from kuro.server.tracking.models import Metric
from kuro.server.tracking.selectors import (
    metric_comparison,
    metric_history,
    series_points,
    series_view,
)
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
    trial_end,
)

pytestmark = pytest.mark.django_db


def _trial(n_steps: int, seed: int = 0):
    """A trial whose ``loss`` has ``n_steps`` noisy values, a few NaN and infinities."""
    experiment = experiment_get_or_create(
        group="g", identifier=f"m{seed}", metrics=[("loss", "min")]
    )
    trial = trial_acquire(experiment_id=experiment.pk, worker=f"w{seed}")
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 1, n_steps)
    values[rng.integers(0, n_steps, 20)] = np.nan
    values[100 : 100 + min(3 * CHUNK_POINTS, n_steps // 10)] = np.nan  # whole NaN blocks, chunks
    values[n_steps // 3] = np.inf
    values[n_steps // 2] = -np.inf
    steps = np.arange(n_steps) * 3
    for start in range(0, n_steps, 50_000):
        points_ingest(
            series=[
                PointSeries(
                    trial_id=trial.pk,
                    metric="loss",
                    steps=steps[start : start + 50_000].tolist(),
                    values=values[start : start + 50_000].tolist(),
                    times=(steps[start : start + 50_000] * 0.5).tolist(),
                )
            ]
        )
    return trial, steps, values


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize(
    ("n_steps", "max_points"),
    [(3000, 1000), (20_000, 1000), (200_000, 500), (200_000, 100), (5000, 3), (9000, 4)],
)
def test_downsampled_read_keeps_ends_and_extremes(n_steps, max_points):
    """Whatever the level read (points, blocks, chunks): real points only, the first and the
    last, the minimum and the maximum, at most max_points, and the full count."""
    trial, steps, values = _trial(n_steps)
    s = metric_history(trial_ids=[trial.pk], max_points=max_points)[0]["metrics"]["loss"]
    assert s["sampled"] and s["count"] == n_steps and len(s["steps"]) <= max_points
    assert s["steps"][0] == steps[0] and s["steps"][-1] == steps[-1]
    assert s["steps"] == sorted(set(s["steps"]))
    index = {int(step): i for i, step in enumerate(steps)}
    for step, value, t in zip(s["steps"], s["values"], s["times"], strict=True):
        assert _same(value, float(values[index[step]])) and t == step * 0.5
    if max_points >= 4:
        assert math.inf in s["values"] and -math.inf in s["values"]


def test_buckets_keep_their_extremes():
    """Each bucket's minimum shows: a spike anywhere in a long series is drawn."""
    trial, steps, _ = _trial(100_000, seed=1)
    spikes = [12_345, 55_555, 99_000]
    points_ingest(
        series=[
            PointSeries(trial.pk, "loss", [int(steps[i]) for i in spikes], [-100.0, 100.0, -50.0])
        ]
    )
    s = metric_history(trial_ids=[trial.pk], max_points=400)[0]["metrics"]["loss"]
    assert {int(steps[i]) for i in spikes} <= set(s["steps"])


def test_short_chunks_between_full_ones_are_read_point_by_point():
    """Steps filled in late leave short chunks inside a series; a downsampled read that
    uses block statistics reads those chunks' points instead, and misses no extreme."""
    experiment = experiment_get_or_create(group="g", identifier="gaps", metrics=[("loss", "min")])
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    even = list(range(0, 40_000, 2))
    points_ingest(series=[PointSeries(trial.pk, "loss", even, [1.0] * len(even))])
    points_ingest(series=[PointSeries(trial.pk, "loss", [-1, 20_001, 39_999], [5.0, -9.0, 2.0])])
    metric = Metric.objects.get(name="loss")
    view = series_view(trial_ids=[trial.pk], metric_ids=[metric.pk], max_points=1000)
    s = view[(trial.pk, metric.pk)]
    assert s.sampled and s.count == 20_003
    assert -9.0 in s.points.values.tolist() and s.points.steps[0] == -1


def test_a_zoomed_range_is_exact_when_it_fits():
    """step_min/step_max: the range at full resolution, the same as an exact read."""
    trial, steps, _ = _trial(30_000, seed=2)
    lo, hi = int(steps[4000]) + 1, int(steps[4800])
    s = metric_history(trial_ids=[trial.pk], max_points=1000, step_min=lo, step_max=hi)[0]
    loss = s["metrics"]["loss"]
    assert not loss["sampled"] and loss["steps"] == steps[4001:4801].tolist()
    exact = metric_history(trial_ids=[trial.pk], step_min=lo, step_max=hi)[0]["metrics"]["loss"]
    assert loss["steps"] == exact["steps"] and loss["count"] == exact["count"] == 800


def test_exact_read_returns_every_point_bit_for_bit():
    """No max_points: every point, values as stored (NaN, infinities)."""
    trial, steps, values = _trial(7000, seed=3)
    s = metric_history(trial_ids=[trial.pk])[0]["metrics"]["loss"]
    assert s["steps"] == steps.tolist() and not s["sampled"]
    got = np.array(s["values"])
    assert np.array_equal(got, values, equal_nan=True)


def test_a_long_read_decodes_only_its_two_end_chunks():
    """A 1,000-point view of 200,000 steps reads chunk columns, and the points of two chunks."""
    trial, _, _ = _trial(200_000, seed=4)
    metric = Metric.objects.get(name="loss")
    with CaptureQueriesContext(connection) as queries:
        view = series_view(trial_ids=[trial.pk], metric_ids=[metric.pk], max_points=200)
    blobs = [q["sql"] for q in queries.captured_queries if re.search(r"payload|blocks", q["sql"])]
    assert len(blobs) == 1
    ids = re.search(r"IN \(([^)]*)\)", blobs[0]).group(1).split(",")
    assert len(ids) == 2  # the first and the last chunk
    assert view[(trial.pk, metric.pk)].count == 200_000


def test_value_at_a_step_for_the_comparison():
    """statistic=step reads the one value of each trial at that step."""
    trial, steps, values = _trial(3000, seed=5)
    trial_end(trial_id=trial.pk, status="complete")
    got = metric_comparison(group="g", metric="loss", statistic="step", step=int(steps[2000]))
    [row] = [e for e in got["experiments"] if e["values"]]
    assert row["values"] == [float(values[2000])]
    assert series_points(trial_ids=[trial.pk], metric_ids=[0]) == {}
