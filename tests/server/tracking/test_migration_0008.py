"""Migration 0008: on PostgreSQL a chunk's ``blocks`` stays in its row (only the larger
``payload`` goes to the TOAST table); existing chunks move in, and back out when the
migration is reversed. On both databases every read is the same, bit for bit, either way."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kuro.server.tracking.chunks import CHUNK_POINTS
from kuro.server.tracking.models import Chunk, Metric
from kuro.server.tracking.selectors import series_points, series_view
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)

BEFORE = [("tracking", "0007_blocks_ends")]
TOASTED = 2000  # bytes: PostgreSQL's default row target moves values out past about this


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _out_of_line() -> int:
    """How many values the chunk table's TOAST table holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = %s",
            [Chunk._meta.db_table],
        )
        toast = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(DISTINCT chunk_id) FROM {toast}")
        return cursor.fetchone()[0]


def _reads(trial: int, metric: int) -> list:
    found = [series_points(trial_ids=[trial], metric_ids=[metric])]
    found += [
        {
            k: v.points
            for k, v in series_view(trial_ids=[trial], metric_ids=[metric], max_points=m).items()
        }
        for m in (50, 1000)
    ]
    return [
        {k: (p.steps.tolist(), p.values.view(np.uint64).tolist()) for k, p in f.items()}
        for f in found
    ]


@pytest.mark.django_db(transaction=True)
def test_blocks_move_into_the_row_and_back():
    experiment = experiment_get_or_create(
        group="g", identifier="m", n_trials=1, metrics=[("loss", "min")]
    )
    trial = trial_acquire(experiment_id=experiment.pk, worker="w").pk
    n = 5 * CHUNK_POINTS
    values = np.random.default_rng(8).normal(0, 1, n)  # noise: payloads far over 2 kB
    points_ingest(series=[PointSeries(trial, "loss", list(range(n)), values.tolist(), [1.7e9] * n)])
    metric = Metric.objects.get(name="loss").pk
    sizes = [(len(b), len(p)) for b, p in Chunk.objects.values_list("blocks", "payload")]
    big_blocks = sum(b > TOASTED for b, _ in sizes)
    big_payloads = sum(p > TOASTED for _, p in sizes)
    assert big_blocks == big_payloads == 5
    reads = _reads(trial, metric)
    try:
        if connection.vendor == "postgresql":
            assert _out_of_line() == big_payloads  # written after 0008: blocks in the row
        _migrate(BEFORE)
        if connection.vendor == "postgresql":
            assert _out_of_line() == big_payloads + big_blocks
        assert _reads(trial, metric) == reads
        _migrate(None)
        if connection.vendor == "postgresql":
            assert _out_of_line() == big_payloads
        assert _reads(trial, metric) == reads
    finally:
        _migrate(None)
