"""The dashboard's own endpoints under hostile input: never a 5xx, never Flask's HTML."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import Client

from kuro.server.wsgi import application

pytestmark = pytest.mark.django_db(transaction=True)

_client = Client(application)
_DEPENDENCIES: list[dict[str, Any]] = []


def _dependencies() -> list[dict[str, Any]]:
    if not _DEPENDENCIES:
        _DEPENDENCIES.extend(_client.get("/dashboard/_dash-dependencies").json)
    return _DEPENDENCIES


def _check(response: Any) -> None:
    assert response.status_code < 500, response.data[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/json", response.data[:200]
        assert set(response.json) == {"error", "message", "detail"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/_dash-component-suites/dash/..%2f..%2f..%2fetc%2fpasswd",
        "/dashboard/_dash-component-suites/dash/../../kuro/server/settings.py",
        "/dashboard/_dash-component-suites/nope/x.js",
        "/dashboard/_dash-component-suites/dash/dcc/nothing.js",
        "/dashboard/_dash-component-suites/",
        "/dashboard/assets/..%2f..%2fmount.py",
        "/dashboard/_dash-layout?x=%00",
        "/dashboard/_dash-dependencies",
        "/dashboard/_reload-hash",
    ],
)
def test_crafted_paths_answer_a_4xx_in_json(path):
    """Traversal and unknown bundles are a JSON 404, not Flask's HTML 500."""
    _check(_client.get(path))


@pytest.mark.parametrize("body", ["{}", "[]", "null", "x", '{"output": 1}', '{"output": "a.b"}'])
def test_forged_callback_bodies_are_a_4xx(body):
    """A callback request Dash cannot read is the client's fault: a JSON 4xx."""
    response = _client.post(
        "/dashboard/_dash-update-component", data=body, content_type="application/json"
    )
    assert 400 <= response.status_code < 500, response.data[:300]
    _check(response)


@given(
    index=st.integers(min_value=0, max_value=10_000),
    inputs=json_values,
    state=json_values,
    extra=st.dictionaries(st.sampled_from(["outputs", "changedPropIds", "inputs"]), json_values),
)
def test_fuzzed_callbacks_never_answer_5xx(index, inputs, state, extra):
    """Real callback outputs with random inputs and state: a 2xx or a JSON 4xx."""
    deps = _dependencies()
    dep = deps[index % len(deps)]
    body = {
        "output": dep["output"],
        "outputs": [],
        "inputs": inputs
        if isinstance(inputs, list)
        else [{"id": "x", "property": "y", "value": inputs}],
        "state": state if isinstance(state, list) else [],
        "changedPropIds": [],
        **extra,
    }
    response = _client.post(
        "/dashboard/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    _check(response)


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    route=st.sampled_from(
        [
            "_dash-layout",
            "_dash-dependencies",
            "_dash-update-component",
            "_dash-component-suites/dash/",
        ]
    ),
    tail=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30),
    body=st.binary(max_size=200),
)
def test_fuzzed_dash_routes_never_answer_5xx(method, route, tail, body):
    """Any method, path tail and body on Dash's routes: never a 5xx."""
    from urllib.parse import quote

    _check(_client.open(f"/dashboard/{route}{quote(tail)}", method=method, data=body))
