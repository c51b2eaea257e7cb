"""The transport: JSON in and out, server errors rebuilt as Kuro's classes, the network's
failures as TransportError; httpx transports injected for tests, a WSGI one included."""

from __future__ import annotations

import httpx
import pytest

import kuro
from kuro.client._transport import HttpTransport


def _transport(handler) -> HttpTransport:
    return HttpTransport("http://kuro.test", transport=httpx.MockTransport(handler))


def test_answers_the_decoded_json_body():
    """A 200 answer is its decoded JSON, and the request went under /api/v1."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.content))
        return httpx.Response(200, json={"ok": True})

    assert _transport(handler).call("POST", "/metrics", {"name": "acc"}) == {"ok": True}
    assert seen == [("POST", "http://kuro.test/api/v1/metrics", b'{"name":"acc"}')]


def test_a_bare_non_finite_float_is_never_sent():
    """A body is strict JSON: a NaN that was not encoded for the wire is refused, unsent."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json={})

    with pytest.raises(kuro.InvalidInput):
        _transport(handler).call("POST", "/points", {"values": [float("nan"), float("inf")]})
    assert seen == []


def test_4xx_raises_the_error_class_the_server_names():
    """``{"error": "mode_conflict"}`` with 409 is kuro.ModeConflict, detail kept."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": "mode_conflict", "message": "no", "detail": {"field": "mode"}}
        return httpx.Response(409, json=body)

    with pytest.raises(kuro.ModeConflict) as info:
        _transport(handler).call("POST", "/metrics", {})
    assert info.value.detail == {"field": "mode"}


def test_5xx_raises_transport_error():
    """A 5xx answer is worth retrying: TransportError."""
    transport = _transport(lambda request: httpx.Response(503, text="busy"))
    with pytest.raises(kuro.TransportError, match="503"):
        transport.call("GET", "/health")


def test_unreachable_server_raises_transport_error():
    """A refused connection is TransportError, naming the URL."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(kuro.TransportError, match=r"kuro\.test"):
        _transport(handler).call("GET", "/health")


@pytest.mark.django_db(transaction=True)
def test_wsgi_transport_reaches_the_django_app(make_worker, testing):
    """A worker can talk to the Django app in process, through ``httpx.WSGITransport``."""
    from django.core.handlers.wsgi import WSGIHandler

    from kuro.server.tracking.models import Trial
    from kuro.server.tracking.selectors import metric_history

    worker = make_worker("http://kuro.test", transport=httpx.WSGITransport(app=WSGIHandler()))
    with worker.experiment("g", "wsgi", metrics=["acc"]).trial() as trial:
        trial.report_metric("acc", 0.5)
    assert worker.flush()
    assert Trial.objects.get(pk=trial.id).status == "complete"
    series = metric_history(trial_ids=[trial.id])[0]["metrics"]["acc"]
    assert (series["steps"], series["values"]) == ([0], [0.5])


def test_api_token_goes_in_the_authorization_header(monkeypatch):
    """``KURO_TOKEN`` (or ``token=``) is sent as a bearer token."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        return httpx.Response(200, json={})

    monkeypatch.setenv("KURO_TOKEN", "from-env")
    _transport(handler).call("GET", "/health")
    HttpTransport("http://kuro.test", transport=httpx.MockTransport(handler), token="given").call(
        "GET", "/health"
    )
    assert seen == ["Bearer from-env", "Bearer given"]


def test_a_thread_has_its_own_connection_pool():
    """The background sender and the training thread never share an httpx client."""
    import threading

    transport = _transport(lambda request: httpx.Response(200, json={}))
    clients = [transport.client]
    thread = threading.Thread(target=lambda: clients.append(transport.client))
    thread.start()
    thread.join()
    assert clients[0] is transport.client and clients[0] is not clients[1]
    transport.close()
    assert clients[0].is_closed and clients[1].is_closed
