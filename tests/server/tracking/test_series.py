"""Reads out of chunks: exact reads stay exact, downsampled reads keep every extreme and
cost per chunk, not per point."""

from __future__ import annotations

import itertools
import math
import re
import struct

import numpy as np
import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from kuro.server.tracking.chunks import CHUNK_POINTS
from kuro.server.tracking.models import Chunk, Metric
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


def test_a_long_read_decodes_no_point():
    """A 200-point view of 200,000 steps reads chunk columns, and the blocks of the first
    and last chunks (their exact first and last points) and of the chunks whose columns
    may not be exact (here those of NaN only); no payload."""
    trial, _, _ = _trial(200_000, seed=4)
    metric = Metric.objects.get(name="loss")
    rows = Chunk.objects.filter(trial=trial).order_by("first_step")
    ids = list(rows.values_list("pk", flat=True))
    nan_only = set(rows.filter(min_value__isnull=True).values_list("pk", flat=True))
    assert len(nan_only) >= 2
    queries: list[tuple[str, list]] = []

    def record(execute, sql, params, many, context):
        queries.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        view = series_view(trial_ids=[trial.pk], metric_ids=[metric.pk], max_points=200)
    blobs = [(sql, params) for sql, params in queries if re.search(r"payload|blocks", sql)]
    assert len(blobs) == 1 and "payload" not in blobs[0][0]
    sql, params = blobs[0]
    # id IN (%s, ...) on SQLite, one array parameter on PostgreSQL
    read = params[0] if "ANY" in sql else params
    assert {int(pk) for pk in read} == {ids[0], ids[-1], *nan_only}
    assert view[(trial.pk, metric.pk)].count == 200_000


def test_value_at_a_step_for_the_comparison():
    """statistic=step reads the one value of each trial at that step."""
    trial, steps, values = _trial(3000, seed=5)
    trial_end(trial_id=trial.pk, status="complete")
    got = metric_comparison(group="g", metric="loss", statistic="step", step=int(steps[2000]))
    [row] = [e for e in got["experiments"] if e["values"]]
    assert row["values"] == [float(values[2000])]
    assert series_points(trial_ids=[trial.pk], metric_ids=[0]) == {}


_SPECIAL = [
    struct.unpack("<d", struct.pack("<Q", bits))[0]
    for bits in (
        0x7FF8000000000000,  # NaN
        0x7FF8000000000123,  # NaN with a payload
        0xFFF0000000000001,  # negative signalling NaN
        0x8000000000000000,  # -0.0
        0x0000000000000000,
        0x0000000000000001,  # the smallest subnormal
        0x7FF0000000000000,  # inf
        0xFFF0000000000000,  # -inf
    )
]
_examples = itertools.count()


def _bits(values) -> list[int]:
    return np.asarray(values, dtype=np.float64).view(np.uint64).tolist()


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 5000),
    max_points=st.sampled_from([2, 3, 4, 7, 40, 1000, 10_000]),
    tail=st.integers(0, 40),
    window=st.none() | st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_downsampled_reads_return_stored_points_bit_for_bit(seed, n, max_points, tail, window):
    """Whatever the level a chunk is read at (points, blocks, columns; cut by the range or
    not; short chunks at the end): the range's count, its first and last points, every
    point when they fit, else at most max_points stored points with the range's minimum
    and maximum, each bit for bit as stored (NaN payloads, -0.0, subnormals)."""
    rng = np.random.default_rng(seed)
    steps = np.cumsum(rng.integers(1, 4, n)) - rng.integers(0, 3)
    values = rng.normal(0, 1, n)
    special = rng.random(n) < rng.choice([0.0, 0.01, 0.3])
    values[special] = rng.choice(_SPECIAL, int(special.sum()))
    if rng.random() < 0.5:  # a run of NaN, over whole blocks and chunks if long enough
        start = rng.integers(0, 500)
        values[start : start + rng.integers(1, n + 1)] = _SPECIAL[1]
    times = steps * 0.5
    times[rng.random(n) < rng.choice([0.0, 0.01, 0.5])] = -0.0
    experiment = experiment_get_or_create(
        group="g", identifier=f"hyp{next(_examples)}", metrics=[("loss", "min")]
    )
    trial = trial_acquire(experiment_id=experiment.pk, worker="w")
    cut = max(0, n - tail)
    batches = [(0, cut), *((i, i + 7) for i in range(cut, n, 7))]  # then small appends
    for lo, hi in batches:
        if hi > lo:
            points_ingest(
                series=[
                    PointSeries(
                        trial.pk,
                        "loss",
                        steps[lo:hi].tolist(),
                        values[lo:hi].tolist(),
                        times[lo:hi].tolist(),
                    )
                ]
            )
    metric = Metric.objects.get(group__name="g", name="loss")
    step_min = step_max = None
    if window is not None:
        lo, hi = sorted(window)
        span = int(steps[-1] - steps[0]) + 2
        step_min, step_max = int(steps[0]) - 1 + int(lo * span), int(steps[0]) - 1 + int(hi * span)
    key = (trial.pk, metric.pk)
    truth = series_points(
        trial_ids=[trial.pk], metric_ids=[metric.pk], step_min=step_min, step_max=step_max
    ).get(key)
    view = series_view(
        trial_ids=[trial.pk],
        metric_ids=[metric.pk],
        max_points=max_points,
        step_min=step_min,
        step_max=step_max,
    ).get(key)
    if truth is None:
        assert view is None
        return
    assert view is not None and view.count == len(truth)
    got = view.points
    if len(truth) <= max_points:
        assert not view.sampled and got.steps.tolist() == truth.steps.tolist()
    else:
        assert view.sampled and len(got) <= max_points
        assert got.steps[0] == truth.steps[0] and got.steps[-1] == truth.steps[-1]
        assert (np.diff(got.steps) > 0).all()
    at = np.searchsorted(truth.steps, got.steps)
    assert truth.steps[at].tolist() == got.steps.tolist()
    assert _bits(got.values) == _bits(truth.values[at])
    assert _bits(got.times) == _bits(truth.times[at])
    real = truth.values[~np.isnan(truth.values)]
    if max_points >= 4 and len(real):
        assert real.min() in got.values and real.max() in got.values
