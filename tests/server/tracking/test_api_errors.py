"""Bad input gets a clear JSON error naming the field, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st


def _is_error(status, body, expected_status, code=None, field=None):
    assert status == expected_status, body
    assert set(body) == {"error", "message", "detail"}, body
    assert body["message"]
    if code:
        assert body["error"] == code
    if field:
        assert body["detail"]["field"] == field, body
    return True


@pytest.mark.parametrize("path", ["/workers", "/metrics", "/experiments", "/points", "/history"])
def test_malformed_json_is_a_400_class_error(api, path):
    """A body that is not JSON is refused with field 'body'."""
    status, body = api.post(path, raw="{not json")
    assert _is_error(status, body, 422, "invalid", "body")


@pytest.mark.parametrize("path", ["/experiments", "/points", "/trials/1/annotations"])
@pytest.mark.parametrize("depth", [1_100, 5_000, 100_000])
@pytest.mark.parametrize("first", ["", '"value": NaN, '])  # a bare NaN: orjson refuses it
def test_bodies_nested_past_the_parsers_are_a_422_on_the_body(api, path, depth, first):
    """Past orjson's 1,024 levels the standard parser ran out of recursion, which came back
    as a 400 naming no field; on a Python whose parser goes deeper, the depth is measured."""
    raw = "{" + first + '"series":' + "[" * depth + "]" * depth + "}"
    status, body = api.post(path, raw=raw)
    assert _is_error(status, body, 422, "invalid", "body")
    assert "nested deeper than 1,024 levels" in body["message"]


def test_nesting_is_measured_without_recursion():
    """The depth of what the standard parser read, as deep as it may be on any Python."""
    from kuro.server.api import _deeper_than

    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    assert _deeper_than({"a": deep}, 1024)
    assert not _deeper_than({"a": [[1, {"b": [2]}]]}, 5)  # object, 2 lists, object, list
    assert _deeper_than({"a": [[1, {"b": [2]}]]}, 4)


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/workers", {"name": ""}, "name"),
        ("/workers", {"name": "w", "memory_gib": "lots"}, "memory_gib"),
        ("/metrics", {"group": "g", "name": "x", "mode": "up"}, "mode"),
        ("/experiments", {"group": "g", "identifier": "m", "n_trials": "three"}, "n_trials"),
        (
            "/experiments",
            {"group": "g", "identifier": "m", "hyper_parameters": [1]},
            "hyper_parameters",
        ),
        (
            "/points",
            {"series": [{"trial_id": 1, "metric": "loss", "steps": [0], "values": ["lots"]}]},
            "series[0].values[0]",
        ),
        (
            "/points",
            {"points": [{"trial_id": 1, "metric": "loss", "step": 0.5, "value": 1}]},
            "points[0].step",
        ),
        (
            "/points",
            {"points": [{"trial_id": "x", "metric": "loss", "step": 0, "value": 1}]},
            "points[0].trial_id",
        ),
        ("/history", {"trial_ids": []}, "trial_ids"),
    ],
)
def test_wrong_types_name_the_field(api, path, payload, field):
    """Each wrong field is named in detail.field."""
    status, body = api.post(path, payload)
    assert _is_error(status, body, 422, "invalid", field)


def test_metric_mode_errors(api):
    """mode_required and mode_conflict have their own codes and statuses."""
    assert _is_error(
        *api.post("/metrics", {"group": "g", "name": "optimality"}), 422, "mode_required", "mode"
    )
    api.post("/metrics", {"group": "g", "name": "acc"})
    status, body = api.post("/metrics", {"group": "g", "name": "acc", "mode": "min"})
    assert _is_error(status, body, 409, "mode_conflict")
    assert (body["detail"]["mode"], body["detail"]["requested"]) == ("max", "min")


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("post", "/experiments/999/trials", {"worker": "w"}, "experiment_id"),
        ("get", "/experiments/999", None, "experiment_id"),
        ("get", "/trials/999", None, "trial_id"),
        ("post", "/trials/999/heartbeat", {}, "trial_id"),
        ("post", "/trials/999/end", {"status": "complete"}, "trial_id"),
        ("get", "/workers/nobody", None, "name"),
        ("get", "/experiments?group=nope", None, "group"),
        ("get", "/export?group=nope", None, "group"),
        ("get", "/history?trial_ids=999", None, "trial_ids"),
        (
            "post",
            "/points",
            {"points": [{"trial_id": 999, "metric": "loss", "step": 0, "value": 1}]},
            "points[0].trial_id",
        ),
    ],
)
def test_unknown_ids_are_404_with_field(api, method, path, payload, field):
    """Ids and names that do not exist are 404 naming the field."""
    if method == "get":
        response = api.client.get(f"/api/v1{path}")
        status, body = response.status_code, json.loads(response.content)
    else:
        status, body = api.post(path, payload)
    if path == "/points":
        field = "series[0].trial_id"  # single points are carried as one-point series
    assert _is_error(status, body, 404, "not_found", field)


def test_bad_query_parameters(api):
    """A non-numeric id list or a tiny max_points is a 422 naming it."""
    response = api.client.get("/api/v1/history", {"trial_ids": "1,x"})
    assert _is_error(
        response.status_code, json.loads(response.content), 422, "invalid", "trial_ids"
    )
    response = api.client.get("/api/v1/history", {"trial_ids": "1", "max_points": "1"})
    assert _is_error(
        response.status_code, json.loads(response.content), 422, "invalid", "max_points"
    )


@override_settings(
    KURO_LIMITS={"max_batch_points": 100, "max_body_bytes": 10**7, "max_history_trials": 10}
)
def test_oversize_batch_is_413_naming_the_limit(api, trial):
    """More points than the limit: 413 with the limit in the detail, nothing stored."""
    status, body = api.post(
        "/points",
        {
            "series": [
                {
                    "trial_id": trial["id"],
                    "metric": "loss",
                    "steps": list(range(101)),
                    "values": [0] * 101,
                }
            ]
        },
    )
    assert _is_error(status, body, 413, "too_large")
    assert body["detail"]["limit"] == 100 and "100" in body["message"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversize_body_is_413(api, trial):
    """A body over the byte limit is a 413 naming the limit, not a 400."""
    status, body = api.post("/points", {"points": [], "pad": "x" * 2000})
    assert _is_error(status, body, 413, "too_large", "body")
    assert body["detail"]["limit"] == 1000


def test_unknown_route_is_json_404(api):
    """Even a path that does not exist answers in the one error format."""
    response = api.client.get("/api/v1/nothing-here")
    assert _is_error(response.status_code, json.loads(response.content), 404, "not_found")


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_any = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
point_like = st.fixed_dictionaries(
    {"trial_id": json_any | st.integers(), "metric": json_any, "step": json_any, "value": json_any},
    optional={"time": json_any, "mode": json_any},
)


@pytest.mark.parametrize(
    "path",
    [
        "/workers",
        "/metrics",
        "/experiments",
        "/points",
        "/history",
        "/experiments/1/trials",
        "/trials/1/end",
    ],
)
@given(
    body=json_any
    | st.dictionaries(
        st.sampled_from(
            [
                "name",
                "group",
                "identifier",
                "hyper_parameters",
                "n_trials",
                "metrics",
                "mode",
                "series",
                "points",
                "trial_ids",
                "worker",
                "status",
                "batch_id",
            ]
        ),
        json_any,
        max_size=5,
    )
    | st.fixed_dictionaries({"points": st.lists(point_like, max_size=3)})
)
def test_fuzzed_bodies_never_500(api, path, body):
    """Arbitrary JSON to every write endpoint answers 2xx or a Kuro 4xx, never 5xx."""
    raw = json.dumps(body, allow_nan=True)
    status, answer = api.post(path, raw=raw)
    assert status < 500, answer
    if status >= 400:
        assert set(answer) == {"error", "message", "detail"}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/experiments?group=a%00b", None, "group"),
        ("get", "/workers/a%00b", None, "path"),
        ("post", "/workers", {"name": "a\x00b"}, "name"),
        (
            "post",
            "/experiments",
            {"group": "g", "identifier": "m", "hyper_parameters": {"k": ["x", "y\x00"]}},
            "hyper_parameters.k[1]",
        ),
    ],
)
def test_nul_characters_are_refused_not_500(api, method, path, body, field):
    """PostgreSQL cannot store NUL: it is a 422 naming the field, on every database."""
    if method == "get":
        response = api.client.get(f"/api/v1{path}")
        status, answer = response.status_code, json.loads(response.content)
    else:
        status, answer = api.post(path, body)
    assert _is_error(status, answer, 422, "invalid", field)
