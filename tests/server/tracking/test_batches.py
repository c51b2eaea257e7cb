"""Old batch ids are forgotten after KURO_BATCH_RETENTION_DAYS, on the write path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from kuro.server.tracking.models import IngestBatch
from kuro.server.tracking.services import (
    PointSeries,
    batches,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)
from kuro.server.tracking.services.batches import ingest_batches_prune

pytestmark = pytest.mark.django_db


@pytest.fixture
def trial():
    experiment = experiment_get_or_create(group="g", identifier="m", metrics=[("loss", "min")])
    return trial_acquire(experiment_id=experiment.pk, worker="w")


@pytest.fixture
def due(monkeypatch):
    """This process's next batch prunes."""
    monkeypatch.setitem(batches._state, "batches", batches.PRUNE_EVERY)


def _ingest(trial, batch_id, step=0, value=1.0):
    return points_ingest(
        series=[PointSeries(trial_id=trial.pk, metric="loss", steps=[step], values=[value])],
        batch_id=batch_id,
    )


def _age(batch_id: str, days: float) -> None:
    IngestBatch.objects.filter(batch_id=batch_id).update(
        received_at=timezone.now() - timedelta(days=days)
    )


def test_prune_deletes_only_ids_older_than_the_cutoff(trial):
    """Ids received before the cutoff go, the oldest first; newer ones stay."""
    for k in range(5):
        _ingest(trial, f"b{k}", step=k)
    for k, days in enumerate([40, 35, 31, 2, 0]):
        _age(f"b{k}", days)
    assert ingest_batches_prune(before=timezone.now() - timedelta(days=30), limit=2) == 2
    assert sorted(IngestBatch.objects.values_list("batch_id", flat=True)) == ["b2", "b3", "b4"]
    assert ingest_batches_prune(before=timezone.now() - timedelta(days=30)) == 1
    assert ingest_batches_prune(before=timezone.now() - timedelta(days=30)) == 0
    assert sorted(IngestBatch.objects.values_list("batch_id", flat=True)) == ["b3", "b4"]


@override_settings(KURO_BATCH_RETENTION_DAYS=30)
def test_the_write_path_prunes_when_due(trial, due):
    """A batch, when its process is due, deletes the ids past the retention."""
    _ingest(trial, "old")
    _age("old", 31)
    _ingest(trial, "kept")
    _age("kept", 29)
    batches._state["batches"] = batches.PRUNE_EVERY
    _ingest(trial, "new", step=1)
    assert sorted(IngestBatch.objects.values_list("batch_id", flat=True)) == ["kept", "new"]


@override_settings(KURO_BATCH_RETENTION_DAYS=30)
def test_a_batch_replayed_within_the_retention_applies_once(trial, due):
    """Pruning leaves a recent id: its replay is still recognised."""
    _ingest(trial, "b", value=1.0)
    _age("b", 29)
    _ingest(trial, "later", value=2.0)
    batches._state["batches"] = batches.PRUNE_EVERY
    assert _ingest(trial, "b", value=1.0).duplicate
    assert IngestBatch.objects.filter(batch_id="b").exists()


@override_settings(KURO_BATCH_RETENTION_DAYS=0)
def test_retention_zero_keeps_every_id(trial, due):
    """KURO_BATCH_RETENTION_DAYS=0 never prunes."""
    _ingest(trial, "ancient")
    _age("ancient", 10_000)
    batches._state["batches"] = batches.PRUNE_EVERY
    _ingest(trial, "new", step=1)
    assert IngestBatch.objects.count() == 2


def test_pruning_is_amortized(trial, monkeypatch):
    """Between prunes a process's batches run no pruning query."""
    monkeypatch.setitem(batches._state, "batches", 0)
    monkeypatch.setitem(batches._state, "at", batches.time.monotonic())
    calls = []
    monkeypatch.setattr(batches, "ingest_batches_prune", lambda **kw: calls.append(kw) or 0)
    for k in range(3):
        _ingest(trial, f"b{k}", step=k)
    assert calls == []
    batches._state["batches"] = batches.PRUNE_EVERY - 1
    _ingest(trial, "b3", step=3)
    assert len(calls) == 1 and batches._state["batches"] == 0
