"""Bad telemetry requests: a JSON error naming the field, never a 500, nothing stored."""

from __future__ import annotations

import pytest

from kuro.server.telemetry.limits import CHUNK_MAX, SAMPLES_MAX
from kuro.server.telemetry.models import OutputChunk, SystemSample

pytestmark = pytest.mark.django_db

GOOD_PIECE = {"session": "s", "offset": 0, "text": "x"}
GOOD_SAMPLE = {"time": 1.0, "values": {"cpu_percent": 1.0}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"session": ""}, "session"),
        ({"session": "a/b"}, "session"),
        ({"session": "s" * 65}, "session"),
        ({"offset": -1}, "offset"),
        ({"offset": "3"}, "offset"),
        ({"offset": 1.5}, "offset"),
        ({"text": 3}, "text"),
        ({"text": "x" * (CHUNK_MAX + 1)}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"time": -1}, "time"),
        ({"time": "NaN"}, "time"),
    ],
)
def test_bad_output_names_the_field(api, trial, change, field):
    status, answer = api.post(f"/trials/{trial['id']}/output", {**GOOD_PIECE, **change})
    assert status in (400, 422), answer
    assert answer["error"] and answer["detail"]["field"] == field, answer
    assert not OutputChunk.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "samples"),
        ({"samples": []}, "samples"),
        ({"samples": [GOOD_SAMPLE] * (SAMPLES_MAX + 1)}, "samples"),
        ({"samples": [{"values": {}}]}, "samples[0].time"),
        ({"samples": [{**GOOD_SAMPLE, "time": "soon"}]}, "samples[0].time"),
        ({"samples": [{**GOOD_SAMPLE, "values": {"CPU!": 1}}]}, "samples[0].values.CPU!"),
        ({"samples": [{**GOOD_SAMPLE, "values": {"cpu": "high"}}]}, "samples[0].values.cpu"),
        ({"samples": [{**GOOD_SAMPLE, "values": {"cpu": True}}]}, "samples[0].values.cpu"),
        (
            {"samples": [{**GOOD_SAMPLE, "values": {f"v{i}": 1 for i in range(65)}}]},
            "samples[0].values",
        ),
    ],
)
def test_bad_samples_name_the_field(api, trial, body, field):
    status, answer = api.post(f"/trials/{trial['id']}/system", body)
    assert status in (400, 422), answer
    assert answer["detail"]["field"] == field, answer
    assert not SystemSample.objects.exists()


def test_non_finite_sample_values_are_refused(api, trial):
    """NaN is not a measurement: refused with the field named."""
    body = '{"samples": [{"time": 1, "values": {"cpu": NaN}}]}'
    status, answer = api.post(f"/trials/{trial['id']}/system", raw=body)
    assert status == 422 and answer["detail"]["field"] == "samples[0].values.cpu", answer


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/trials/999999/output", GOOD_PIECE),
        ("get", "/trials/999999/output", None),
        ("post", "/trials/999999/system", {"samples": [GOOD_SAMPLE]}),
        ("get", "/trials/999999/system", None),
    ],
)
def test_unknown_trial_is_404_naming_it(api, method, path, body):
    status, answer = api.post(path, body) if method == "post" else api.get(path)
    assert status == 404 and answer["detail"]["field"] == "trial_id", answer


def test_unknown_trial_download_is_a_json_404(db):
    from django.test import Client

    response = Client().get("/api/v1/trials/999999/output.txt")
    assert response.status_code == 404
    assert response.json()["detail"]["field"] == "trial_id"
