"""``Sender.flush`` with the background thread running: it wakes when the thread has
delivered (no polling tick), keeps its timeout, and retries as soon as a backoff ends."""

from __future__ import annotations

import statistics
import threading
import time

import pytest

from kuro.client._retry import Retry
from kuro.client._sender import Sender
from kuro.client._spool import Spool
from kuro.client._transport import HttpTransport

# One try per delivery, then the sender's own backoff of 0.2 to 0.3 s.
QUICK = Retry(attempts=1, timeout=5.0, wait_initial=0.2, wait_max=0.3, wait_jitter=0.1)


@pytest.fixture
def threaded(fake, spool_dir):
    """A sender with its thread started, which packs on its own only every 5 s."""
    made = Sender(
        HttpTransport("http://kuro.test", transport=fake.transport()),
        Spool(spool_dir),
        batch_delay=5.0,
        retry=QUICK,
    )
    made.start()
    assert made._thread is not None
    yield made
    made.close(timeout=0)


def test_flush_returns_as_soon_as_the_point_is_delivered(threaded, fake):
    """One point then flush, 50 times: each returns True well under a 10 ms polling tick."""
    costs = []
    for step in range(50):
        started = time.perf_counter()
        threaded.queue.append((1, "loss", step, 0.5, 0.0))
        assert threaded.flush(5)
        costs.append(time.perf_counter() - started)
    steps = [step for b in fake.bodies("/points") for s in b["series"] for step in s["steps"]]
    assert steps == list(range(50))
    assert statistics.median(costs) < 0.005, costs


def test_flush_keeps_its_timeout_while_the_server_is_down(threaded, fake):
    """With the server down, flush answers False at its timeout, not before nor long after,
    and the point stays spooled."""
    fake.down = True
    threaded.queue.append((1, "loss", 0, 0.5, 0.0))
    started = time.monotonic()
    assert not threaded.flush(0.5)
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 1.5
    assert threaded.down and threaded.pending_points() == 1


def test_flush_retries_when_the_backoff_ends(threaded, fake):
    """A server back during the backoff gets the point at the backoff's end, not at the
    thread's next 5 s round."""
    fake.down = True
    threaded.queue.append((1, "loss", 0, 0.5, 0.0))
    back = threading.Timer(0.1, lambda: setattr(fake, "down", False))
    back.start()
    started = time.monotonic()
    try:
        assert threaded.flush(10)
    finally:
        back.cancel()
    assert time.monotonic() - started < 2.5
    assert [b["series"][0]["steps"] for b in fake.bodies("/points")] == [[0]]


def test_flush_of_an_idle_sender_is_immediate(threaded):
    """Nothing queued: flush answers True at once."""
    started = time.perf_counter()
    assert threaded.flush(5)
    assert time.perf_counter() - started < 0.05


def test_concurrent_flushes_all_wake(threaded, fake):
    """Several threads flushing at once each return True once their points are delivered."""
    results: list[bool] = []

    def report_and_flush(trial: int) -> None:
        for step in range(20):
            threaded.queue.append((trial, "loss", step, 0.5, 0.0))
            results.append(threaded.flush(5))

    threads = [threading.Thread(target=report_and_flush, args=(t,)) for t in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [True] * 80
    delivered = sum(len(s["steps"]) for b in fake.bodies("/points") for s in b["series"])
    assert delivered == 80
