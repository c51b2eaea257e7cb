"""Migration 0007 writes every packed chunk's ``blocks`` again (not compressed, with the
chunk's first and last points), in pages of chunks; going back writes the former
encoding, which the code of 0006 read."""

from __future__ import annotations

import importlib
import struct
import zlib

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kuro.server.tracking.chunks import CHUNK_POINTS, PACKED_POINTS, block_stats, decode_points
from kuro.server.tracking.models import Chunk, Metric
from kuro.server.tracking.selectors import series_points, series_view
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)

BEFORE = [("tracking", "0006_drop_point")]
MIGRATION = importlib.import_module("kuro.server.tracking.migrations.0007_blocks_ends")


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _bits(a: np.ndarray) -> list[int]:
    return np.asarray(a, dtype=np.float64).view(np.uint64).tolist()


def _former_blocks(payload: bytes) -> dict[str, np.ndarray]:
    """The statistics of ``blocks`` in the former encoding (as the code of 0006 read them)."""
    assert payload[0] == 1
    words = np.frombuffer(zlib.decompress(payload[1:]), dtype="<u8").reshape(6, -1)
    steps = np.cumsum(words[0:2], axis=1, dtype=np.uint64).view(np.int64)
    times = np.cumsum(words[2:4], axis=1, dtype=np.uint64).view(np.float64)
    values = np.bitwise_xor.accumulate(words[4:6], axis=1).view(np.float64)
    return {
        "min_steps": steps[0],
        "max_steps": steps[1],
        "min_times": times[0],
        "max_times": times[1],
        "min_values": values[0],
        "max_values": values[1],
    }


def _series() -> tuple[list[int], list[int]]:
    """Two trials: a long series of noisy values with NaN (payload too), -0.0 and
    infinities, ending in short chunks of small appends; and a short one."""
    experiment = experiment_get_or_create(
        group="g", identifier="m", n_trials=2, metrics=[("loss", "min")]
    )
    trials = [trial_acquire(experiment_id=experiment.pk, worker=f"w{i}").pk for i in range(2)]
    rng = np.random.default_rng(7)
    n = 6 * CHUNK_POINTS + 100
    values = rng.normal(0, 1, n)
    values[::97] = struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000123))[0]
    values[5::101] = -0.0
    values[n // 3], values[n // 2] = np.inf, -np.inf
    values[2000:3100] = np.nan
    steps = np.arange(n) * 2
    times = 1.7e9 + steps * 0.25
    cut = n - 40
    batches = [(trials[0], 0, cut), *((trials[0], i, i + 10) for i in range(cut, n, 10))]
    batches.append((trials[1], 0, 300))
    for trial, lo, hi in batches:
        points_ingest(
            series=[
                PointSeries(
                    trial,
                    "loss",
                    steps[lo:hi].tolist(),
                    values[lo:hi].tolist(),
                    times[lo:hi].tolist(),
                )
            ]
        )
    return trials, [Metric.objects.get(name="loss").pk]


def _views(trials, metrics) -> list:
    out = [series_points(trial_ids=trials, metric_ids=metrics)]
    for max_points in (4, 50, 1000):
        out.append(series_view(trial_ids=trials, metric_ids=metrics, max_points=max_points))
    return [
        {
            key: [
                p.steps.tolist(),
                _bits(p.values),
                _bits(p.times),
            ]
            for key, p in ((k, getattr(v, "points", v)) for k, v in found.items())
        }
        for found in out
    ]


@pytest.mark.django_db(transaction=True)
def test_blocks_are_written_again_and_back(monkeypatch):
    """Back to 0006: every packed chunk's blocks in the former encoding, equal to the
    statistics of its points (short chunks keep none); forward again: the same bytes as
    written by the code, and every read the same, bit for bit. Three chunks a page, so
    that several pages are read."""
    monkeypatch.setattr(MIGRATION, "_ROWS", 3)
    try:
        trials, metrics = _series()
        written = dict(Chunk.objects.values_list("pk", "blocks"))
        assert (
            sum(1 for b in written.values() if b) >= 6
            and sum(1 for b in written.values() if not b) >= 2
        )
        reads = _views(trials, metrics)
        _migrate(BEFORE)
        for pk, count, blocks, payload in Chunk.objects.values_list(
            "pk", "count", "blocks", "payload"
        ):
            if count < PACKED_POINTS:
                assert bytes(blocks) == b""
                continue
            got = _former_blocks(bytes(blocks))
            want = block_stats(decode_points(bytes(payload)))
            for field, column in got.items():
                want_bits = getattr(want, field).view(np.uint64).tolist()
                assert column.view(np.uint64).tolist() == want_bits, (pk, field)
        _migrate(None)
        assert {pk: bytes(b) for pk, b in Chunk.objects.values_list("pk", "blocks")} == {
            pk: bytes(b) for pk, b in written.items()
        }
        assert _views(trials, metrics) == reads
    finally:
        _migrate(None)
