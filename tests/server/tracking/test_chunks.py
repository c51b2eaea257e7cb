"""Series stored as chunks: the encoding is bit-exact and small, and a write touches few rows."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from kuro.server.tracking.chunks import (
    CHUNK_POINTS,
    block_stats,
    decode_blocks,
    decode_many_points,
    encode_blocks,
    encode_points,
    merge,
    points_of,
)
from kuro.server.tracking.models import Chunk, Summary
from kuro.server.tracking.selectors import metric_history, series_points
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)

any_double = st.integers(0, 2**64 - 1).map(lambda b: struct.unpack("<d", struct.pack("<Q", b))[0])
series = st.lists(
    st.tuples(st.integers(-(2**63), 2**63 - 1), any_double, any_double),
    min_size=1,
    max_size=300,
    unique_by=lambda p: p[0],
).map(lambda ps: sorted(ps))


def _bits(a: np.ndarray) -> list[int]:
    return a.view(np.uint64).tolist()


@given(points=series, compress=st.booleans())
def test_encoding_is_bit_exact(points, compress):
    """Any steps and any doubles (NaN payloads, -0.0, infinities) come back bit for bit,
    compressed (a full chunk) or not (a series' last chunk while it fills)."""
    p = points_of(*zip(*points, strict=True))
    [got] = decode_many_points([encode_points(p, compress=compress)])
    assert got.steps.tolist() == p.steps.tolist()
    assert _bits(got.values) == _bits(p.values) and _bits(got.times) == _bits(p.times)


def test_chunks_of_many_sizes_decode_together():
    """Decoding several chunks at once gives each its own points."""
    parts = [points_of(range(n), [float(i) for i in range(n)], [0.0] * n) for n in (5, 7, 5, 1)]
    got = decode_many_points([encode_points(p) for p in parts])
    assert [g.values.tolist() for g in got] == [p.values.tolist() for p in parts]


@given(
    values=st.lists(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 2.5]), min_size=1)
)
def test_block_statistics_skip_nan_and_keep_infinities(values):
    """Each block's minimum and maximum are its first extreme, NaN never one of them."""
    n = len(values)
    p = points_of(range(0, 2 * n, 2), values, [float(i) for i in range(n)])
    blocks = decode_blocks(encode_blocks(block_stats(p, size=4)), n, size=4)
    for b in range(len(blocks)):
        block = values[4 * b : 4 * b + 4]
        real = [v for v in block if not math.isnan(v)]
        at_min = block.index(min(real)) if real else 0
        at_max = block.index(max(real)) if real else 0
        assert blocks.min_steps[b] == 2 * (4 * b + at_min)
        assert blocks.max_steps[b] == 2 * (4 * b + at_max)
        assert blocks.counts[b] == len(block)


def test_merge_keeps_the_last_value_of_a_step():
    """New points replace stored ones at the same step, and the last of a repeated step wins."""
    old = points_of([0, 1, 2], [0.0, 1.0, 2.0], [0.0, 0.0, 0.0])
    got = merge([old], points_of([1, 3, 1], [10.0, 3.0, 11.0], [1.0, 1.0, 1.0]))
    assert got.steps.tolist() == [0, 1, 2, 3]
    assert got.values.tolist() == [0.0, 11.0, 2.0, 3.0]


def test_noisy_series_take_at_most_16_bytes_a_point():
    """A noisy float series with wall-clock times: payload and block statistics."""
    rng = np.random.default_rng(0)
    n = CHUNK_POINTS
    times = 1.764e9 + np.cumsum(rng.uniform(0.05, 0.5, n))
    p = points_of(range(n), 0.3 + rng.normal(0, 0.02, n), times)
    assert (len(encode_points(p)) + len(encode_blocks(block_stats(p)))) / n < 14


@pytest.fixture
def trial(db):
    experiment = experiment_get_or_create(group="g", identifier="m", metrics=[("loss", "min")])
    return trial_acquire(experiment_id=experiment.pk, worker="w")


def _ingest(trial, steps, values, **kw):
    points_ingest(
        series=[PointSeries(trial_id=trial.pk, metric="loss", steps=steps, values=values, **kw)]
    )


def _chunks(trial):
    return list(Chunk.objects.filter(trial=trial).order_by("first_step").values_list("count"))


def test_small_appends_fill_chunks(trial):
    """Ten steps a batch: the series' last chunk takes them while they fit."""
    for start in range(0, 2500, 10):
        _ingest(trial, list(range(start, start + 10)), [float(s) for s in range(start, start + 10)])
    counts = [n for (n,) in _chunks(trial)]
    assert counts == [1020, 1020, 460]  # 102 batches of 10 fit in 1,024
    assert metric_history(trial_ids=[trial.pk])[0]["metrics"]["loss"]["steps"] == list(range(2500))


def test_rewriting_one_step_rewrites_one_chunk(trial):
    """A resent step in the middle of a long series reads and writes its chunk only."""
    _ingest(trial, list(range(5000)), [1.0] * 5000)
    before = set(Chunk.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        _ingest(trial, [2500], [-7.0], times=[3.0])
    after = set(Chunk.objects.values_list("pk", flat=True))
    assert len(before - after) == len(after - before) == 1
    touching = [q for q in queries.captured_queries if Chunk._meta.db_table in q["sql"]]
    assert len(touching) <= 5  # find, read, delete, insert, recount the summary
    [p] = series_points(trial_ids=[trial.pk], metric_ids=[Summary.objects.get().metric_id]).values()
    assert len(p) == 5000 and p.values[2500] == -7.0 and p.times[2500] == 3.0
    assert np.count_nonzero(p.values == 1.0) == 4999
    summary = Summary.objects.get()
    assert (summary.count, summary.min_value, summary.max_value) == (5000, -7.0, 1.0)


def test_filling_a_gap_between_chunks(trial):
    """Steps sent late, between stored chunks, land in order and are counted once."""
    _ingest(trial, list(range(0, 3000, 2)), [0.0] * 1500)
    _ingest(trial, list(range(1, 3000, 2)), [1.0] * 1500)
    _ingest(trial, [-5, 10_000], [2.0, 3.0])
    h = metric_history(trial_ids=[trial.pk])[0]["metrics"]["loss"]
    assert h["steps"] == [-5, *range(3000), 10_000]
    assert h["values"][1:4] == [0.0, 1.0, 0.0]
    summary = Summary.objects.get()
    assert (summary.count, summary.last_step, summary.last_value) == (3002, 10_000, 3.0)
    firsts = [f for (f,) in Chunk.objects.order_by("first_step").values_list("first_step")]
    lasts = [x for (x,) in Chunk.objects.order_by("first_step").values_list("last_step")]
    assert all(last < first for last, first in zip(lasts, firsts[1:], strict=False))
