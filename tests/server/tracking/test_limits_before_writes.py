"""A refused request writes nothing, and every limit is checked before the first write."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from kuro.server.tracking.models import Chunk, Experiment, Metric

pytestmark = pytest.mark.django_db


def _batch(trial_id: int, names: list[str]) -> dict:
    return {
        "series": [
            {"trial_id": trial_id, "metric": name, "steps": [0], "values": [1.0], "mode": "min"}
            for name in names
        ]
    }


def test_a_batch_of_50000_new_metrics_is_refused_fast_and_leaves_none(api, trial):
    """50,000 new metric names past KURO_MAX_METRICS: a 413 before any work per name (no
    query on metrics, chunks, summaries or batch ids), nothing stored."""
    before = Metric.objects.count()
    with CaptureQueriesContext(connection) as queries:
        status, answer = api.post("/points", _batch(trial["id"], [f"m{i}" for i in range(50_000)]))
    assert status == 413, answer
    assert "1000 metrics" in answer["message"]
    # Nothing read or written per metric or point (a request may still check leases).
    work = ("tracking_metric", "tracking_chunk", "tracking_summary", "tracking_ingestbatch")
    touched = [q["sql"][:200] for q in queries if any(table in q["sql"] for table in work)]
    assert touched == [] and len(queries) <= 3, [q["sql"][:200] for q in queries]
    assert Metric.objects.count() == before
    assert not Chunk.objects.exists()
    with CaptureQueriesContext(connection) as accepted:  # the same request, within the limit
        assert api.post("/points", _batch(trial["id"], ["m0"]))[0] == 200
    # So the check above would see them: an accepted batch's queries touch those tables.
    assert any(table in q["sql"] for q in accepted.captured_queries for table in work)


def test_metrics_per_group_are_bounded_across_experiments(api):
    """KURO_MAX_METRICS holds per group: new experiments cannot add metrics past it."""
    with override_settings(KURO_LIMITS={**_limits(), "max_metrics": 5}):
        for k in range(2):
            status, e = api.post(
                "/experiments",
                {
                    "group": "g",
                    "identifier": f"e{k}",
                    "metrics": [{"name": f"a{k}{i}_loss"} for i in range(2)],
                },
            )
            assert status == 200, e
        status, answer = api.post(
            "/experiments",
            {
                "group": "g",
                "identifier": "e9",
                "metrics": [{"name": f"b{i}_loss"} for i in range(2)],
            },
        )
        assert status == 413, answer
        status, t = api.post(f"/experiments/{e['id']}/trials", {"worker": "w"})
        status, answer = api.post("/points", _batch(t["trial"]["id"], ["c1", "c2"]))
        assert status == 413, answer
        assert api.post("/metrics", {"group": "g", "name": "d_loss"})[0] == 200
        status, answer = api.post("/metrics", {"group": "g", "name": "e_loss"})
        assert (status, Metric.objects.filter(group__name="g").count()) == (413, 5), answer
    assert not Experiment.objects.filter(identifier="e9").exists()


def test_a_batch_refused_for_an_ended_trial_creates_no_metric(api, trial):
    """A batch naming a running and an ended trial is refused whole: no new metric stays."""
    status, other = api.post(
        "/experiments", {"group": "g", "identifier": "other", "metrics": [{"name": "loss"}]}
    )
    status, t2 = api.post(f"/experiments/{other['id']}/trials", {"worker": "w2"})
    ended = t2["trial"]["id"]
    assert api.post(f"/trials/{ended}/end", {"status": "complete"})[0] == 200
    before = Metric.objects.count()
    body = {
        "series": [
            {"trial_id": trial["id"], "metric": "fresh_loss", "steps": [0], "values": [1.0]},
            {"trial_id": ended, "metric": "other_loss", "steps": [0], "values": [1.0]},
        ]
    }
    status, answer = api.post("/points", body)
    assert status == 409, answer
    assert Metric.objects.count() == before


def _limits() -> dict:
    from django.conf import settings

    return dict(settings.KURO_LIMITS)
