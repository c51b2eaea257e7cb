"""Every API endpoint with no token, a revoked token, a read-only token and a full token."""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest
from django.test import Client

from kuro.server.accounts.services import token_create, token_revoke
from kuro.server.queue.services import sweep_create, work_enqueue
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)

pytestmark = pytest.mark.django_db

# Every operation of the API: (method, path template, body). A new endpoint must be added
# here (test_table_covers_every_operation), so it cannot ship without an auth check.
OPERATIONS = [
    ("GET", "/health", None),
    ("POST", "/workers", {"name": "w9"}),
    ("GET", "/workers", None),
    ("GET", "/workers/{worker}", None),
    ("GET", "/groups", None),
    ("POST", "/metrics", {"group": "g", "name": "val_acc"}),
    ("POST", "/experiments", {"group": "g", "identifier": "new"}),
    ("GET", "/experiments?group=g", None),
    ("GET", "/experiments/{experiment_id}", None),
    ("GET", "/export?group=g", None),
    ("GET", "/compare?group=g&metric=loss", None),
    ("POST", "/experiments/{experiment_id}/trials", {"worker": "w2"}),
    ("GET", "/trials/{trial_id}", None),
    ("POST", "/trials/{trial_id}/heartbeat", {}),
    ("POST", "/trials/{trial_id}/context", {"argv": ["train.py"]}),
    ("GET", "/trials/{trial_id}/annotations", None),
    ("POST", "/trials/{trial_id}/annotations", {"add": ["a"]}),
    ("GET", "/experiments/{experiment_id}/annotations", None),
    ("POST", "/experiments/{experiment_id}/annotations", {"note": "n"}),
    ("GET", "/annotations?group=g", None),
    ("POST", "/trials/{trial_id}/output", {"session": "s1", "offset": 0, "text": "hello\n"}),
    ("GET", "/trials/{trial_id}/output", None),
    ("GET", "/trials/{trial_id}/output.txt", None),
    ("POST", "/trials/{trial_id}/system", {"samples": [{"time": 1.0, "values": {"cpu": 5}}]}),
    ("GET", "/trials/{trial_id}/system", None),
    ("POST", "/trials/{trial_id}/end", {"status": "complete"}),
    (
        "POST",
        "/points",
        {"points": [{"trial_id": "{trial_id}", "metric": "loss", "step": 5, "value": 1}]},
    ),
    ("GET", "/history?trial_ids={trial_id}", None),
    ("POST", "/history", {"trial_ids": ["{trial_id}"]}),
    ("POST", "/queue", {"group": "g", "identifier": "queued"}),
    ("GET", "/queue", None),
    ("POST", "/work", {"worker": "w3"}),
    (
        "POST",
        "/sweeps",
        {
            "group": "g",
            "identifier": "s",
            "objective": "loss",
            "max_configs": 2,
            "space": {"x": {"type": "float", "low": 0, "high": 1}},
        },
    ),
    ("GET", "/sweeps", None),
    ("GET", "/sweeps/{sweep_id}", None),
    ("GET", "/sweeps/{sweep_id}/importance", None),
]
READS_BY_POST = {"/history"}
# Answers that are files when allowed (their refusals are JSON like every other).
TEXT_ANSWERS = {"/trials/{trial_id}/output.txt"}


@pytest.fixture
def world(settings):
    settings.KURO_AUTH = True
    experiment = experiment_get_or_create(
        group="g", identifier="m", n_trials=5, metrics=[("loss", None)]
    )
    trial = trial_acquire(experiment_id=experiment.pk, worker="w1")
    points_ingest(series=[PointSeries(trial_id=trial.pk, metric="loss", steps=[0], values=[1.0])])
    work_enqueue(group="g", identifier="q")
    sweep = sweep_create(
        group="g",
        identifier="s0",
        objective="loss",
        max_configs=1,
        space={"x": {"type": "float", "low": 0, "high": 1}},
    )
    ids = {
        "worker": "w1",
        "experiment_id": experiment.pk,
        "trial_id": trial.pk,
        "sweep_id": sweep.pk,
    }
    full = token_create(name="full")[1]
    read = token_create(name="reader", read_only=True)[1]
    revoked = token_create(name="old")[1]
    token_revoke(name="old")
    return ids, {"none": None, "revoked": revoked, "read": read, "full": full}


def _fill(value, ids):
    text = json.dumps(value)
    for key, v in ids.items():
        text = text.replace(f'"{{{key}}}"', json.dumps(v)).replace(f"{{{key}}}", str(v))
    return json.loads(text)


def _call(method, path, body, token, ids):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    url = "/api/v1" + path.format(**ids)
    client = Client()
    if method == "GET":
        return client.get(url, **headers)
    return client.post(
        url, json.dumps(_fill(body, ids)), content_type="application/json", **headers
    )


def test_table_covers_every_operation():
    """The table above names every operation of the OpenAPI schema."""
    schema = json.loads(Client().get("/api/v1/openapi.json").content)
    declared = {
        (m.upper(), p.removeprefix("/api/v1")) for p, ops in schema["paths"].items() for m in ops
    }
    table = {(m, p.split("?")[0].replace("{worker}", "{name}")) for m, p, _ in OPERATIONS}
    assert declared == table


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_auth_matrix(world, method, path, body):
    """No token and revoked: 401; read-only: 403 on writes, allowed on reads; full: allowed."""
    ids, tokens = world
    codes = {who: _call(method, path, body, token, ids) for who, token in tokens.items()}
    for who, response in codes.items():
        if path in TEXT_ANSWERS and response.status_code == 200:
            assert response["Content-Type"].startswith("text/plain"), (who, response.content)
            continue
        assert response["Content-Type"].startswith("application/json"), (who, response.content)
    status = {who: r.status_code for who, r in codes.items()}
    if path == "/health":
        assert set(status.values()) == {200}
        return
    assert status["none"] == 401 and json.loads(codes["none"].content)["error"] == "unauthorized"
    assert status["revoked"] == 401
    writes = method == "POST" and path.split("?")[0] not in READS_BY_POST
    if writes:
        assert status["read"] == 403 and json.loads(codes["read"].content)["error"] == "forbidden"
    else:
        assert status["read"] == 200, codes["read"].content
    assert status["full"] == 200, codes["full"].content


def test_session_login_reads_but_cannot_write(world, django_user_model):
    """A logged-in person reads the API from the browser; writes need a token."""
    django_user_model.objects.create_user(username="ada", password="correct horse")
    client = Client()
    # django-axes checks sign-ins against the request they come with.
    assert client.login(request=HttpRequest(), username="ada", password="correct horse")
    assert client.get("/api/v1/groups").status_code == 200
    response = client.post(
        "/api/v1/workers", json.dumps({"name": "x"}), content_type="application/json"
    )
    assert response.status_code == 403


def test_malformed_authorization_header_is_401(world):
    """A header that is not 'Bearer <token>' is refused with a clear message."""
    response = Client().get("/api/v1/groups", HTTP_AUTHORIZATION="Basic YWRhOnB3")
    body = json.loads(response.content)
    assert response.status_code == 401 and "Bearer" in body["message"]
