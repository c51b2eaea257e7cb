"""Shared fixtures. The database is SQLite (a file in KURO_DATA_DIR) unless
KURO_DATABASE_URL names PostgreSQL: the same suite runs on both."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

from kuro.server.testing import LiveServer, scratch_database

settings.register_profile(
    "kuro",
    max_examples=60,
    # CI runs the same examples every time (a pass there is reproducible); local runs explore.
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("kuro")


@pytest.fixture(autouse=True)
def _open_server(settings):
    """Most tests exercise behaviour with auth off, as on a workstation; the auth tests
    turn it on themselves."""
    settings.KURO_AUTH = False


@pytest.fixture(autouse=True)
def _no_capture(monkeypatch):
    """Workers send no run context, so tests that count requests in a spool count only
    their own; the run context tests (``tests/client/test_context.py``) turn it on."""
    monkeypatch.setenv("KURO_CAPTURE", "off")


class JsonClient:
    """Django's test client speaking JSON: answers ``(status, decoded body)``."""

    def __init__(self) -> None:
        self.client = Client()

    def _answer(self, response: Any) -> tuple[int, Any]:
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        return response.status_code, json.loads(response.content)

    def get(self, path: str, **params: Any) -> tuple[int, Any]:
        return self._answer(self.client.get(f"/api/v1{path}", params))

    def post(
        self, path: str, body: Any = None, *, raw: str | bytes | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self._answer(
            self.client.post(f"/api/v1{path}", data, content_type="application/json")
        )


@pytest.fixture
def api(db) -> JsonClient:
    return JsonClient()


@pytest.fixture
def trial(api: JsonClient) -> dict[str, Any]:
    """A running trial of a fresh experiment with metrics acc (max) and loss (min)."""
    status, experiment = api.post(
        "/experiments",
        {
            "group": "g",
            "identifier": "model.A",
            "hyper_parameters": {"lr": 0.1},
            "n_trials": 2,
            "metrics": [{"name": "acc"}, {"name": "loss"}],
        },
    )
    assert status == 200, experiment
    status, answer = api.post(f"/experiments/{experiment['id']}/trials", {"worker": "w1"})
    assert status == 200, answer
    return answer["trial"]


@pytest.fixture(scope="session")
def live_kuro(tmp_path_factory) -> Iterator[LiveServer]:
    """One real ``kuro server`` for the session, on the suite's database kind."""
    server = _live_server(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()
    server.drop()


@pytest.fixture
def fresh_kuro(tmp_path) -> Iterator[LiveServer]:
    """A real ``kuro server`` of this test's own, to kill and restart."""
    server = _live_server(tmp_path / "server")
    yield server
    server.stop()
    server.drop()


def _live_server(data_dir) -> LiveServer:
    base = os.environ.get("KURO_DATABASE_URL")
    database_url, drop = scratch_database(base) if base else (None, lambda: None)
    server = LiveServer(data_dir, database_url=database_url)
    server.drop = drop
    server.start()
    return server
