"""The sender: batches by size, in order, each with its own id; memory bounded by the
spool; one warning when the server goes away and one when it comes back; one line at exit."""

from __future__ import annotations

import logging

import httpx
import pytest

from kuro.client._sender import Sender
from kuro.client._spool import Spool
from kuro.client._transport import HttpTransport


@pytest.fixture
def sender(fake, spool_dir):
    made = Sender(
        HttpTransport("http://kuro.test", transport=fake.transport()),
        Spool(spool_dir),
        batch_size=100,
    )
    yield made
    made.close(timeout=0)


def _report(sender: Sender, n: int, trial: int = 1, metric: str = "loss") -> None:
    for step in range(n):
        sender.queue.append((trial, metric, step, float(step), 0.0))


def test_batches_are_cut_at_batch_size(sender, fake, testing):
    """250 points with batch_size=100 go out as batches of 100, 100 and 50."""
    _report(sender, 250)
    assert sender.flush(5)
    sizes = [sum(len(s["steps"]) for s in b["series"]) for b in fake.bodies("/points")]
    assert sizes == [100, 100, 50]


def test_each_batch_has_its_own_id(sender, fake, testing):
    """Batch ids are distinct, so the server can tell a resend from a new batch."""
    _report(sender, 300)
    sender.flush(5)
    ids = [b["batch_id"] for b in fake.bodies("/points")]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_one_batch_carries_many_trials_and_metrics(sender, fake, testing):
    """Points of several trials and metrics share a batch, one series each."""
    _report(sender, 10, trial=1)
    _report(sender, 10, trial=2, metric="acc")
    sender.flush(5)
    [batch] = fake.bodies("/points")
    assert [(s["trial_id"], s["metric"], s["steps"]) for s in batch["series"]] == [
        (1, "loss", list(range(10))),
        (2, "acc", list(range(10))),
    ]


def test_delivered_requests_leave_the_spool(sender, fake, testing):
    """Once the server has answered, nothing of the batch remains on disk."""
    _report(sender, 150)
    sender.pack()
    assert len(sender.spool.pending()) == 2  # written ahead, before sending
    sender.flush(5)
    assert sender.spool.pending() == []


def test_server_down_spools_and_warns_once_then_once_when_back(sender, fake, caplog, testing):
    """While the server is down, batches wait on disk in order; one warning each way."""
    caplog.set_level(logging.WARNING, logger="kuro")
    fake.down = True
    for _ in range(3):
        _report(sender, 50)
        assert not sender.flush(0.5)
    assert sender.down and len(sender.spool.pending()) == 3 and sender.pending_points() == 150
    fake.down = False
    assert sender.flush(5)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "cannot reach the server" in messages[0] and "server is back" in messages[1]
    steps = [s["steps"] for b in fake.bodies("/points") for s in b["series"]]
    assert steps == [list(range(50))] * 3


def test_memory_is_bounded_by_spilling_to_disk(make_worker, fake):
    """Past max_pending, the training thread itself moves points to the spool."""
    fake.down = True
    worker = make_worker(
        "http://kuro.test", transport=fake.transport(), max_pending=1000, flush_timeout=0.1
    )
    # No background packing: only the bound can empty the queue.
    worker.session.sender._stopping.set()
    trial = worker.experiment("g", "m", metrics=["loss"]).trial()
    for _ in range(10_000):
        trial.report_metric("loss", 1.0)
        assert len(worker.session.sender.queue) <= 1001
    assert worker.session.sender.pending_points() == 10_000


def test_exit_line_says_what_is_left_and_how_to_upload_it(sender, fake, capsys, spool_dir):
    """At close, what could not be delivered is left in the spool, said in one line."""
    fake.down = True
    _report(sender, 1234)
    sender.close(timeout=0.2)
    line = capsys.readouterr().err.strip()
    assert "\n" not in line
    assert line.startswith("kuro: 1,234 points") and line.endswith("kuro sync")
    assert len(Spool.sessions(spool_dir)[0].pending()) == 13


def test_refused_token_keeps_the_requests_for_later(spool_dir, caplog, testing):
    """A 401 is not the batch's fault: it stays in the spool, with one warning."""
    caplog.set_level(logging.WARNING, logger="kuro")
    body = {"error": "unauthorized", "message": "send a token (KURO_TOKEN)"}
    refuse = httpx.MockTransport(lambda request: httpx.Response(401, json=body))
    sender = Sender(HttpTransport("http://kuro.test", transport=refuse), Spool(spool_dir))
    _report(sender, 10)
    assert not sender.flush(0.5)
    assert len(sender.spool.pending()) == 1 and sender.spool.failed() == []
    [record] = caplog.records
    assert "KURO_TOKEN" in record.getMessage()
    sender.close(timeout=0)
