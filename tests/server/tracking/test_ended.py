"""An ended trial takes no more points nor heartbeats: 409 naming the trial and its
status, and nothing of the batch is written."""

from __future__ import annotations

import pytest

from kuro.server.tracking.models import Chunk, Metric, Summary, Trial
from kuro.server.tracking.selectors import series_points

pytestmark = pytest.mark.django_db


def _series(trial_id: int, metric: str = "acc", steps=(0, 1), values=(0.5, 0.9)) -> dict:
    return {"trial_id": trial_id, "metric": metric, "steps": list(steps), "values": list(values)}


@pytest.mark.parametrize("ended", ["complete", "failed", "pruned"])
def test_points_for_an_ended_trial_are_refused(api, trial, ended):
    """A curl to /points after the end cannot change the trial's best value."""
    assert api.post("/points", {"series": [_series(trial["id"], values=[0.5, 0.6])]})[0] == 200
    assert api.post(f"/trials/{trial['id']}/end", {"status": ended})[0] == 200
    status, body = api.post("/points", {"series": [_series(trial["id"], steps=[2], values=[1.0])]})
    assert status == 409 and body["error"] == "conflict"
    assert body["detail"] == {
        "field": "series[0].trial_id",
        "trial_id": trial["id"],
        "status": ended,
    }
    assert [
        len(p)
        for p in series_points(
            trial_ids=[trial["id"]], metric_ids=[m.pk for m in Metric.objects.all()]
        ).values()
    ] == [2]
    assert Summary.objects.get(trial_id=trial["id"], metric__name="acc").max_value == 0.6


def test_a_batch_with_one_ended_trial_writes_nothing(api, trial):
    """Every trial of a batch is checked before anything is written, new metrics too."""
    _, other = api.post(f"/experiments/{trial['experiment_id']}/trials", {"worker": "w2"})
    other_id = other["trial"]["id"]
    api.post(f"/trials/{trial['id']}/end", {"status": "complete"})
    batch = {"series": [_series(other_id), _series(trial["id"], metric="brand_new_acc")]}
    status, body = api.post("/points", batch)
    assert status == 409 and body["detail"]["trial_id"] == trial["id"]
    assert body["detail"]["field"] == "series[1].trial_id"
    assert not Chunk.objects.exists()
    assert not Metric.objects.filter(name="brand_new_acc").exists()


@pytest.mark.parametrize("ended", ["complete", "failed", "pruned"])
def test_heartbeats_for_an_ended_trial_are_refused(api, trial, ended):
    """A heartbeat after the end is a 409 naming the trial and its status."""
    api.post(f"/trials/{trial['id']}/end", {"status": ended})
    status, body = api.post(f"/trials/{trial['id']}/heartbeat")
    assert status == 409 and body["error"] == "conflict"
    assert body["detail"] == {"field": "trial_id", "trial_id": trial["id"], "status": ended}
    assert Trial.objects.get(pk=trial["id"]).status == ended


def test_a_lost_trial_still_answers_lease_lost(api, trial):
    """Lost keeps its own code: its work may be running elsewhere."""
    Trial.objects.filter(pk=trial["id"]).update(status="lost")
    status, body = api.post(f"/trials/{trial['id']}/heartbeat")
    assert status == 409 and body["error"] == "lease_lost"
    status, body = api.post("/points", {"series": [_series(trial["id"])]})
    assert status == 409 and body["error"] == "lease_lost"
