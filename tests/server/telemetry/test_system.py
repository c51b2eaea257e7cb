"""System samples: stored apart from the trial's metrics (a resend stored once), read as
series, and never seen by metric comparisons, group tables or exports."""

from __future__ import annotations

import pytest

from kuro.server.telemetry.models import SystemSample
from kuro.server.telemetry.selectors import system_series

pytestmark = pytest.mark.django_db


def _samples(*times, **values):
    return {"samples": [{"time": t, "values": {"cpu_percent": 50.0, **values}} for t in times]}


def test_samples_are_stored_once(api, trial):
    """A request sent twice stores its samples once."""
    body = _samples(1.7e9, 1.7e9 + 5, memory_mib=100)
    assert api.post(f"/trials/{trial['id']}/system", body) == (
        200,
        {"trial_id": trial["id"], "stored": 2},
    )
    assert api.post(f"/trials/{trial['id']}/system", body)[1]["stored"] == 0
    assert SystemSample.objects.filter(trial_id=trial["id"]).count() == 2


def test_series_in_time_order_with_gaps(api, trial):
    """Series are by name, oldest first; a sample without a value leaves None."""
    api.post(f"/trials/{trial['id']}/system", _samples(20.0, gpu0_utilization_percent=90))
    api.post(f"/trials/{trial['id']}/system", _samples(10.0))
    status, series = api.get(f"/trials/{trial['id']}/system")
    assert status == 200
    assert series == {
        "times": [10.0, 20.0],
        "values": {"cpu_percent": [50.0, 50.0], "gpu0_utilization_percent": [None, 90.0]},
    }


def test_long_series_are_thinned_keeping_the_last(api, trial):
    """Past ``max_points``, samples are thinned evenly and the latest is always kept."""
    api.post(f"/trials/{trial['id']}/system", _samples(*range(1, 102)))
    series = system_series(trial_id=trial["id"], max_points=10)
    assert len(series["times"]) <= 11 and series["times"][0] == 1 and series["times"][-1] == 101


def test_system_metrics_stay_out_of_metrics(api, trial):
    """A trial with samples and one user metric: the group's metrics, its table, the
    comparison and the export name only the user metric."""
    api.post(
        "/points",
        {
            "batch_id": "b1",
            "series": [
                {"trial_id": trial["id"], "metric": "acc", "steps": [0, 1], "values": [0.5, 0.6]}
            ],
        },
    )
    api.post(f"/trials/{trial['id']}/system", _samples(1.0, 2.0, memory_mib=10))
    names = ("cpu_percent", "memory_mib")
    for path, params in (
        ("/experiments", {"group": "g"}),
        ("/export", {"group": "g"}),
        ("/compare", {"group": "g", "metric": "acc"}),
        (f"/trials/{trial['id']}", {}),
    ):
        status, answer = api.get(path, **params)
        assert status == 200, (path, answer)
        assert "acc" in str(answer), path
        assert not any(n in str(answer) for n in names), path
    status, answer = api.get("/compare", group="g", metric="cpu_percent")
    assert status == 404, answer  # not a metric of the group
