"""Worker: registration, configuration from the environment, heartbeats."""

from __future__ import annotations

import time

import pytest

import kuro
from kuro.client._config import DEFAULT_SERVER


def test_registers_itself_with_its_machine(worker, api):
    """The server learns the worker's CPU, memory, hostname, platform and Python."""
    assert worker.flush()
    info = api._get(f"/workers/{worker.name}")
    assert info["cpu"] and info["hostname"] and info["platform"] and info["python_version"]
    assert info["memory_gib"] > 0 and info["gpus"] == []


def test_server_defaults_to_kuro_server_then_localhost(monkeypatch, make_worker, testing):
    """``server=`` wins over KURO_SERVER, which wins over http://localhost:8000."""
    assert make_worker(None, mode="offline").server == DEFAULT_SERVER
    monkeypatch.setenv("KURO_SERVER", "http://elsewhere:9000/")
    assert make_worker(None, mode="offline").server == "http://elsewhere:9000"
    assert make_worker("http://here:1", mode="offline").server == "http://here:1"


def test_mode_comes_from_kuro_mode(monkeypatch, make_worker, testing):
    """KURO_MODE=offline makes an offline worker; an unknown mode is refused."""
    monkeypatch.setenv("KURO_MODE", "offline")
    assert make_worker("http://127.0.0.1:9").offline
    with pytest.raises(kuro.InvalidInput):
        kuro.Worker("w", mode="sometimes")


def test_bad_environment_number_is_refused(monkeypatch):
    """A non-numeric KURO_FLUSH_TIMEOUT is a clear error, not a crash later."""
    monkeypatch.setenv("KURO_FLUSH_TIMEOUT", "soon")
    with pytest.raises(kuro.InvalidInput, match="KURO_FLUSH_TIMEOUT"):
        kuro.Worker("w", mode="offline")


@pytest.mark.live
def test_running_trial_sends_heartbeats(make_worker, live_kuro, group, api):
    """While a trial runs, the background thread renews its heartbeat."""
    worker = make_worker(live_kuro.url, heartbeat=0.2)
    trial = worker.experiment(group, "model").trial()
    first = api.trial(trial.id)["heartbeat_at"]
    deadline = time.monotonic() + 10
    while api.trial(trial.id)["heartbeat_at"] == first and time.monotonic() < deadline:
        time.sleep(0.1)
    assert api.trial(trial.id)["heartbeat_at"] != first


def test_offline_worker_sends_nothing(make_worker, fake, testing):
    """Offline, nothing contacts the server, and everything goes to the spool."""
    worker = make_worker("http://kuro.test", mode="offline", transport=fake.transport())
    trial = worker.experiment("g", "m", metrics=["acc"]).trial()
    trial.report_metric("acc", 1.0)
    trial.end()
    assert not worker.flush()
    assert fake.requests == []
    kinds = [
        worker.session.sender.spool.header(s)["kind"] for s in worker.session.sender.spool.pending()
    ]
    assert kinds == ["worker", "experiment", "trial", "points", "end"]
