"""A malformed server URL is ``kuro.InvalidInput`` at once, never taken for an outage."""

from __future__ import annotations

import json

import pytest

import kuro
from kuro.client._config import server_url
from kuro.client._sync import sync
from tests.client.helpers import run_kuro

BAD = ["localhost:8000", "htp://localhost:8000", "http://", "http://host:port", "kuro"]


@pytest.mark.parametrize("url", BAD)
def test_worker_refuses_a_malformed_server(url, spool_dir):
    """``Worker(...)`` raises InvalidInput (field "server"), and spools nothing."""
    with pytest.raises(kuro.InvalidInput) as caught:
        kuro.Worker("w", url)
    assert caught.value.field == "server" and url in caught.value.message
    assert not spool_dir.exists()


def test_kuro_server_is_checked_too(monkeypatch):
    """A malformed KURO_SERVER is named as such."""
    monkeypatch.setenv("KURO_SERVER", "localhost:8000")
    with pytest.raises(kuro.InvalidInput, match="KURO_SERVER") as caught:
        kuro.Worker("w")
    assert caught.value.field == "server"


@pytest.mark.parametrize("url", BAD)
def test_api_refuses_a_malformed_server(url):
    with pytest.raises(kuro.InvalidInput) as caught:
        kuro.Api(url)
    assert caught.value.field == "server"


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/", "https://kuro.example.org", "http://[::1]:80"]
)
def test_good_urls_pass(url):
    assert server_url(url) == url.rstrip("/")


def test_kuro_sync_refuses_a_malformed_server(spool_dir):
    """``kuro sync --server localhost:8000`` is a one-line error, exit status 1."""
    result = run_kuro({}, "sync", "--server", "localhost:8000")
    assert result.returncode == 1
    assert result.stderr.startswith("kuro sync: ") and len(result.stderr.splitlines()) == 1
    assert "localhost:8000" in result.stderr and "Traceback" not in result.stderr


def test_sync_names_a_session_recorded_for_a_malformed_server(spool_dir):
    """A session an older client recorded for a bad URL is not retried against it."""
    session = spool_dir / "20260101T000000-1-abcdef"
    session.mkdir(parents=True)
    (session / "meta.json").write_text(json.dumps({"server": "localhost:8000"}))
    header = {"kind": "worker", "method": "POST", "path": "/workers", "n_points": 0}
    (session / "000000000001.op").write_text(json.dumps(header) + "\n{}")
    report = sync(spool_dir)
    assert report.requests == 0 and "--server" in (report.unreachable or "")
    assert (session / "000000000001.op").exists()
