"""Series stored as chunks: the encoding is bit-exact and small, and a write touches few rows."""

from __future__ import annotations

import itertools
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
    decode_many_blocks,
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
from kuro.server.tracking.services.chunks import TAIL_POINTS

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
    blocks = decode_blocks(encode_blocks(p, size=4), n, size=4)
    for b in range(len(blocks)):
        block = values[4 * b : 4 * b + 4]
        real = [v for v in block if not math.isnan(v)]
        at_min = block.index(min(real)) if real else 0
        at_max = block.index(max(real)) if real else 0
        assert blocks.min_steps[b] == 2 * (4 * b + at_min)
        assert blocks.max_steps[b] == 2 * (4 * b + at_max)
        assert blocks.counts[b] == len(block)


@given(chunks=st.lists(series, min_size=1, max_size=4), size=st.sampled_from([1, 4, 16]))
def test_block_statistics_decode_together_bit_for_bit(chunks, size):
    """The blocks of chunks of any sizes, decoded together, give each chunk's statistics
    and its first and last values and times, bit for bit (NaN payloads, -0.0)."""
    parts = [points_of(*zip(*c, strict=True)) for c in chunks]
    table = decode_many_blocks(
        [encode_blocks(p, size=size) for p in parts], [len(p) for p in parts], size
    )
    expected = [block_stats(p, size) for p in parts]
    assert table.chunks.tolist() == [i for i, b in enumerate(expected) for _ in range(len(b))]
    for field in ("counts", "min_steps", "max_steps"):
        want = np.concatenate([getattr(b, field) for b in expected])
        assert getattr(table.blocks, field).tolist() == want.tolist()
    for field in ("min_values", "max_values", "min_times", "max_times"):
        want = np.concatenate([getattr(b, field) for b in expected])
        assert _bits(getattr(table.blocks, field)) == _bits(want)
    assert _bits(table.first_values) == _bits(np.array([p.values[0] for p in parts]))
    assert _bits(table.first_times) == _bits(np.array([p.times[0] for p in parts]))
    assert _bits(table.last_values) == _bits(np.array([p.values[-1] for p in parts]))
    assert _bits(table.last_times) == _bits(np.array([p.times[-1] for p in parts]))


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
    assert (len(encode_points(p)) + len(encode_blocks(p))) / n < 14


# Thousands of small batches, each committed as a request commits it: in one test-long
# transaction PostgreSQL could not prune the chunk rows each batch replaces, and every
# later batch would walk them all (278 s instead of a few).
_COMMITTED = pytest.mark.django_db(transaction=True)


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
    """Ten steps a batch: the series' last chunk takes them while it holds fewer than
    TAIL_POINTS, then a new one starts; 1,024 points of such chunks are compacted."""
    for start in range(0, 2500, 10):
        _ingest(trial, list(range(start, start + 10)), [float(s) for s in range(start, start + 10)])
    counts = [n for (n,) in _chunks(trial)]
    assert counts[:2] == [CHUNK_POINTS, CHUNK_POINTS] and sum(counts) == 2500
    # A chunk takes batches while it holds fewer than TAIL_POINTS: at most TAIL_POINTS + 9.
    assert all(n < TAIL_POINTS + 10 for n in counts[2:])
    assert metric_history(trial_ids=[trial.pk])[0]["metrics"]["loss"]["steps"] == list(range(2500))


def _layout(trial):
    return list(
        Chunk.objects.filter(trial=trial)
        .order_by("first_step")
        .values_list("first_step", "last_step", "count")
    )


def _no_overlap(trial):
    rows = _layout(trial)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(rows)), rows
    return rows


@_COMMITTED
def test_one_point_appends_keep_a_short_tail(trial):
    """One point a batch: an append rewrites at most a chunk of TAIL_POINTS points, the
    rows stay bounded, and every 1,024 points the small chunks become one packed chunk."""
    odd = [
        math.nan,
        -0.0,
        math.inf,
        -math.inf,
        struct.unpack("<d", struct.pack("<Q", 0x7FF8DEAD))[0],
    ]
    values = [odd[s % 5] if s % 7 == 0 else math.sin(s) for s in range(2100)]
    for step, value in enumerate(values):
        before = _layout(trial)
        _ingest(trial, [step], [value], times=[float(step)])
        rows = _layout(trial)
        if rows[-1][2] != CHUNK_POINTS:  # not a compaction: at most the last chunk rewritten
            assert rows[: len(before) - 1] == before[:-1]
        small = [n for _, _, n in rows if n < CHUNK_POINTS]
        assert sum(small) < CHUNK_POINTS and len(small) <= CHUNK_POINTS // TAIL_POINTS + 1
        assert rows[-1][2] in (*range(1, TAIL_POINTS + 1), CHUNK_POINTS)
    rows = _no_overlap(trial)
    assert [n for _, _, n in rows[:2]] == [CHUNK_POINTS, CHUNK_POINTS]  # compacted twice
    assert len(rows) == 2 + -(-(2100 - 2 * CHUNK_POINTS) // TAIL_POINTS)
    [p] = series_points(trial_ids=[trial.pk], metric_ids=[Summary.objects.get().metric_id]).values()
    assert p.steps.tolist() == list(range(2100))
    assert _bits(p.values) == _bits(np.array(values)) and p.times.tolist() == list(
        map(float, range(2100))
    )
    summary = Summary.objects.get()
    finite = [v for v in values if v == v]
    assert (summary.count, summary.min_value, summary.max_value) == (2100, min(finite), max(finite))
    assert summary.last_step == 2099


@_COMMITTED
def test_rewrites_in_small_and_compacted_chunks(trial):
    """A resent step inside a small tail chunk and inside a compacted chunk, and a late
    step before them, are read back exactly; the summary is recounted."""
    for step in range(1100):
        _ingest(trial, [step], [1.0])
    _ingest(trial, [1090, 500, -3], [-0.0, 7.0, 2.0], times=[9.0, 8.0, 7.0])
    _ingest(trial, [1095], [math.nan])  # inside the small chunks again, alone
    _no_overlap(trial)
    [p] = series_points(trial_ids=[trial.pk], metric_ids=[Summary.objects.get().metric_id]).values()
    assert p.steps.tolist() == [-3, *range(1100)]
    got = dict(zip(p.steps.tolist(), p.values.tolist(), strict=True))
    assert got[500] == 7.0 and got[-3] == 2.0 and math.isnan(got[1095])
    assert math.copysign(1.0, got[1090]) == -1.0 and got[1090] == 0.0
    assert [got[s] for s in range(1100) if s not in (500, 1090, 1095)] == [1.0] * 1097
    summary = Summary.objects.get()
    assert (summary.count, summary.min_value, summary.max_value) == (1101, -0.0, 7.0)
    assert (summary.last_step, summary.last_value) == (1099, 1.0)
    _ingest(trial, [1100], [3.0])  # appends go on after the rewrites
    assert Summary.objects.get().count == 1102
    assert series_points(trial_ids=[trial.pk], metric_ids=[summary.metric_id])[
        (trial.pk, summary.metric_id)
    ].steps.tolist() == [-3, *range(1101)]


@_COMMITTED
def test_downsampled_read_over_many_small_chunks_keeps_extremes(trial):
    """A downsampled read of a series ending in many small chunks keeps each bucket's
    extremes, whether read from points, blocks or chunk columns."""
    n = 3 * CHUNK_POINTS + 900
    rng = np.random.default_rng(5)
    values = rng.normal(0, 1, n)
    values[n - 300] = 50.0  # in the small chunks
    values[n - 200] = -50.0
    values[n - 100] = math.nan
    _ingest(trial, list(range(3 * CHUNK_POINTS)), values[: 3 * CHUNK_POINTS].tolist())
    for step in range(3 * CHUNK_POINTS, n):
        _ingest(trial, [step], [float(values[step])])
    assert len(_layout(trial)) > 50
    for max_points in (100, 2000, 10_000):
        h = metric_history(trial_ids=[trial.pk], max_points=max_points)[0]["metrics"]["loss"]
        assert len(h["steps"]) <= max_points and h["steps"] == sorted(h["steps"])
        assert h["steps"][0] == 0 and h["steps"][-1] == n - 1
        shown = dict(zip(h["steps"], h["values"], strict=True))
        assert shown[n - 300] == 50.0 and shown[n - 200] == -50.0
        same = [
            shown[s] == values[s] or (math.isnan(shown[s]) and math.isnan(values[s])) for s in shown
        ]
        assert all(same)
        assert (n - 100 in shown) == (max_points >= n)  # NaN is never a bucket's extreme


def test_rewriting_one_step_rewrites_one_chunk(trial):
    """A resent step in the middle of a long series reads and writes its chunk only."""
    _ingest(trial, list(range(5000)), [1.0] * 5000)
    before = set(Chunk.objects.values_list("pk", "first_step", "payload"))
    with CaptureQueriesContext(connection) as queries:
        _ingest(trial, [2500], [-7.0], times=[3.0])
    after = set(Chunk.objects.values_list("pk", "first_step", "payload"))
    [(pk, first, _)] = before - after
    assert [(p, f) for p, f, _ in after - before] == [(pk, first)]  # rewritten in place
    touching = [q for q in queries.captured_queries if Chunk._meta.db_table in q["sql"]]
    assert len(touching) <= 4  # find, read, update, recount the summary
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
