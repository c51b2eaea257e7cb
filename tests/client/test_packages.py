"""The run context in the trial's acquire, and the package list sent once: later contexts
name the set by its hash, and every trial's context still reads back whole."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from kuro.client import _context
from kuro.client._context import packages_hash, run_context
from kuro.client._packages import PackageSets, send_context
from kuro.client._sync import sync
from kuro.client._transport import HttpTransport
from kuro.core.errors import InvalidInput, NotFound
from kuro.core.limits import ARGV_MAX


class Recording(httpx.HTTPTransport):
    """A real HTTP transport that keeps (path, decoded body) of every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read()) if request.content else None
        self.sent.append((request.url.path.removeprefix("/api/v1"), body))
        return super().handle_request(request)

    def bodies(self, suffix: str) -> list[Any]:
        return [body for path, body in self.sent if path.endswith(suffix)]


@pytest.fixture
def capture_on(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Capture on, with a package set of this test's own (so no other test stored it)."""
    names = sorted(["kuro-test==1.0", f"only-{uuid.uuid4().hex[:8]}==0.1"])
    context = {
        **_context.capture_context(),
        "packages": names,
        "packages_hash": packages_hash(names),
    }
    monkeypatch.setattr(_context, "_captured", context)
    monkeypatch.setattr(_context, "_body", _context.dumps(context))
    monkeypatch.setenv("KURO_CAPTURE", "on")
    return context


def _read_back(api, trial_id: int, context: dict[str, Any]) -> None:
    stored = api.trial(trial_id)["context"]
    assert stored["packages"] == context["packages"]
    assert stored["packages_hash"] == context["packages_hash"]
    assert stored["argv"] == context["argv"] and stored["hostname"] == context["hostname"]


@pytest.mark.live
def test_the_acquire_carries_the_context_and_the_list_goes_once(
    capture_on, make_worker, live_kuro, group, api
):
    """Online, each trial's context rides on its acquire (no request of its own); the
    second names its packages by hash alone; both read back whole."""
    recording = Recording()
    worker = make_worker(live_kuro.url, transport=recording)
    experiment = worker.experiment(group, "m", metrics=["loss"], n_trials=2)
    ids = []
    for _ in range(2):
        with experiment.trial() as trial:
            trial.report_metric("loss", 1.0)
        ids.append(trial.id)
    assert worker.flush()
    assert not recording.bodies("/context")
    first, second = (body["context"] for body in recording.bodies("/trials"))
    assert first["packages"] == capture_on["packages"]
    assert "packages" not in second and second["packages_hash"] == capture_on["packages_hash"]
    for trial_id in ids:
        _read_back(api, trial_id, capture_on)


@pytest.mark.live
def test_a_server_without_the_set_is_sent_the_list(capture_on, make_worker, live_kuro, group, api):
    """A set this client believes stored but the server lacks (a reset database): the
    server refuses the hash alone without starting a trial, and the list goes again."""
    recording = Recording()
    worker = make_worker(live_kuro.url, transport=recording)
    worker.session.transport.package_sets.confirm(capture_on)  # believed, never stored
    experiment = worker.experiment(group, "m", metrics=["loss"], n_trials=1)
    trial = experiment.trial()
    assert trial is not None and trial.id is not None
    trial.end()
    assert worker.flush()
    alone, whole = (body["context"] for body in recording.bodies("/trials"))
    assert "packages" not in alone and whole["packages"] == capture_on["packages"]
    assert len(api.trials(group)) == 1
    _read_back(api, trial.id, capture_on)


@pytest.mark.live
def test_queued_contexts_send_the_list_once(capture_on, make_worker, live_kuro, group, api):
    """Trials claimed from the queue send their context apart, spooled whole: the second
    goes without the list, and both read back whole."""
    recording = Recording()
    worker = make_worker(live_kuro.url, transport=recording)
    api.enqueue(group, "m", grid={"i": [1, 2]})
    ids = [trial.id for trial in worker.work(group=group)]
    assert worker.flush() and len(ids) == 2
    first, second = recording.bodies("/context")
    assert first["packages"] == capture_on["packages"] and "packages" not in second
    for trial_id in ids:
        _read_back(api, trial_id, capture_on)


@pytest.mark.live
def test_an_offline_session_syncs_whole_contexts(
    capture_on, make_worker, live_kuro, group, api, spool_dir
):
    """Offline, each trial's context is spooled with its whole list (nothing depends on
    what a process remembers); ``kuro sync`` sends the list once and every context reads
    back whole."""
    worker = make_worker(live_kuro.url, mode="offline")
    experiment = worker.experiment(group, "m", metrics=["loss"], n_trials=2)
    for _ in range(2):
        with experiment.trial() as trial:
            trial.report_metric("loss", 1.0)
    worker.close()
    spooled = [p.read_bytes() for p in spool_dir.rglob("*.op")]
    marker = capture_on["packages"][0].encode()
    assert sum(marker in data for data in spooled) == 2
    recording = Recording()
    transport = HttpTransport(live_kuro.url, transport=recording)
    try:
        assert sync(server=live_kuro.url, transport=transport).trials == 2
    finally:
        transport.close()
    first, second = recording.bodies("/context")
    assert first["packages"] == capture_on["packages"] and "packages" not in second
    rows = api.trials(group)
    assert len(rows) == 2
    for row in rows:
        _read_back(api, row["id"], capture_on)


@pytest.mark.live
def test_a_refused_context_does_not_stop_the_trial(
    capture_on, make_worker, live_kuro, group, api, monkeypatch
):
    """A context the server refuses (more arguments than it takes) never reaches training:
    the trial starts without it, and the refused context is kept in the spool's failed/."""
    context = {**capture_on, "argv": ["x"] * (ARGV_MAX + 1)}
    monkeypatch.setattr(_context, "_captured", context)
    monkeypatch.setattr(_context, "_body", _context.dumps(context))
    worker = make_worker(live_kuro.url)
    with worker.experiment(group, "m", metrics=["loss"]).trial() as trial:
        trial.report_metric("loss", 1.0)
    worker.flush()
    assert trial.id is not None and api.trial(trial.id)["status"] == "complete"
    assert api.trial(trial.id)["context"] is None
    [failed] = worker.session.spool.failed()
    assert b'"kind":"context"' in failed.read_bytes()


def test_a_server_that_reads_no_hash_alone_gets_the_list_from_then_on():
    """An older server refuses a context without its list (422 naming packages_hash): the
    list is sent again, and always from then on."""
    sets = PackageSets()
    context = {"argv": [], "packages": ["a==1"], "packages_hash": packages_hash(["a==1"])}
    sets.confirm(context)
    sent: list[dict[str, Any]] = []

    def old_server(body: dict[str, Any]) -> dict[str, Any]:
        sent.append(body)
        if "packages" not in body:
            raise InvalidInput("packages_hash is not the hash of packages", field="packages_hash")
        return {"context": body}

    send_context(sets, context, old_server, lambda answer: answer["context"])
    assert ["packages" in body for body in sent] == [False, True]
    send_context(sets, context, old_server, lambda answer: answer["context"])
    assert ["packages" in body for body in sent] == [False, True, True]
    assert not sets.holds(context["packages_hash"])


def test_other_refusals_are_not_taken_for_a_missing_set():
    """A refusal about anything else (here a trial that does not exist) is raised as is,
    and the set stays known."""
    sets = PackageSets()
    context = {"packages": ["a==1"], "packages_hash": packages_hash(["a==1"])}
    sets.confirm(context)

    def missing_trial(body: dict[str, Any]) -> None:
        raise NotFound("trial 9 does not exist", detail={"field": "trial_id"})

    with pytest.raises(NotFound):
        send_context(sets, context, missing_trial, lambda answer: None)
    assert sets.holds(context["packages_hash"])


def test_run_context_is_unchanged_by_sending(capture_on):
    """Leaving the list out of a request never changes the process's captured context."""
    sets = PackageSets()
    sets.confirm(capture_on)
    send_context(sets, run_context(), lambda body: body, lambda answer: answer)
    assert run_context()["packages"] == capture_on["packages"]
