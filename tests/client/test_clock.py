"""Point times are put on the server's clock: the offset is measured from the ``Date``
header of the server's answers, and applied when a batch is packed."""

from __future__ import annotations

import logging
import time

import pytest

from kuro.client._transport import HttpTransport

DAY = 86_400.0


def _times(fake) -> list[float]:
    return [t for b in fake.bodies("/points") for s in b["series"] for t in s["times"]]


def test_a_client_a_day_behind_stores_points_on_the_servers_clock(make_worker, fake, caplog):
    """The server's clock is a day ahead: the points carry its time, and one warning says so."""
    caplog.set_level(logging.WARNING, logger="kuro")
    fake.clock = DAY
    worker = make_worker("http://kuro.test", transport=fake.transport())
    trial = worker.experiment("g", "m", metrics=["loss"]).trial()
    for step in range(1000):
        trial.report_metric("loss", float(step))
    trial.end()
    assert worker.flush(10)
    times = _times(fake)
    assert len(times) == 1000
    assert all(abs(t - (time.time() + DAY)) < 5 for t in times)
    warnings = [r.getMessage() for r in caplog.records if "clock" in r.getMessage()]
    assert len(warnings) == 1 and "+86400 s" in warnings[0]


@pytest.mark.parametrize("clock", [None, 0.0, 1.0, -1.0])
def test_no_date_or_a_small_difference_leaves_times_alone(make_worker, fake, clock, testing):
    """Without a Date header, or within the header's resolution, times are the client's."""
    fake.clock = clock
    worker = make_worker("http://kuro.test", transport=fake.transport())
    trial = worker.experiment("g", "m", metrics=["loss"]).trial()
    before = time.time()
    trial.report_metric("loss", 1.0)
    after = time.time()
    assert worker.flush(5)
    [moment] = _times(fake)
    assert before <= moment <= after


def test_offset_follows_the_servers_answers(fake):
    """The offset is measured on every answer, so a corrected clock is followed."""
    transport = HttpTransport("http://kuro.test", transport=fake.transport())
    fake.clock = -3600.0
    transport.request("GET", "/health")
    assert abs(transport.clock_offset + 3600) < 2
    fake.clock = 0.0
    transport.request("GET", "/health")
    assert transport.clock_offset == 0.0
    transport.close()


@pytest.mark.live
def test_a_real_server_sends_its_time(live_kuro):
    """``kuro server`` answers a Date header: a client on the same machine has no offset."""
    transport = HttpTransport(live_kuro.url)
    transport.request("GET", "/health")
    assert transport.clock_offset == 0.0
    assert transport.client.get("/health").headers.get("date")
    transport.close()
