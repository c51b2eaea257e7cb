"""Batches fit the server: its limits are learned from ``GET /health``, and a batch it
answers with 413 is split in halves and sent again, never dropped."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import kuro
from kuro.client._delivery import deliver
from kuro.client._sender import Sender
from kuro.client._spool import Op, Spool
from kuro.client._sync import sync
from kuro.client._transport import HttpTransport, dumps
from kuro.server.testing import LiveServer, scratch_database
from tests.client.helpers import all_points

# One pytest-xdist worker runs this module, so its module-scoped server starts once.
pytestmark = pytest.mark.xdist_group("test_limits")


@pytest.fixture(scope="module")
def small_batches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server that takes at most 1,000 points per batch."""
    base = os.environ.get("KURO_DATABASE_URL")
    database_url, drop = scratch_database(base) if base else (None, lambda: None)
    server = LiveServer(
        tmp_path_factory.mktemp("small-batches"),
        database_url=database_url,
        extra_env={"KURO_MAX_BATCH_POINTS": "1000"},
    )
    server.start()
    yield server
    server.stop()
    drop()


class _TooLarge:
    """A fake ``/points`` that refuses batches over ``limit`` points with 413, and states no
    limits in its health answer (an older server)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.batches: list[dict] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/points"):
            return httpx.Response(200, json={"status": "ok"})
        body = json.loads(request.content)
        n = sum(len(s["steps"]) for s in body["series"])
        if n > self.limit:
            error = {"error": "too_large", "message": "split it", "detail": {"limit": self.limit}}
            return httpx.Response(413, json=error)
        self.batches.append(body)
        return httpx.Response(200, json={"n_points": n, "duplicate": False, "prune": [n]})


def _points_op(n: int, batch_id: str = "b") -> Op:
    series = [
        {
            "trial_id": 1,
            "metric": "loss",
            "steps": list(range(n)),
            "values": [0.5] * n,
            "times": [0.0] * n,
        },
    ]
    return Op(
        "points", "POST", "/points", dumps({"batch_id": batch_id, "series": series}), n_points=n
    )


@pytest.mark.live
@pytest.mark.parametrize("n", [1_500, 5_000])
def test_every_point_is_stored_by_a_server_with_small_batches(
    small_batches, make_worker, api, group, n
):
    """Past the server's KURO_MAX_BATCH_POINTS, every point is stored and flush() says so."""
    worker = make_worker(small_batches.url)
    trial = worker.experiment(group, "m", metrics=["loss"]).trial()
    for step in range(n):
        trial.report_metric("loss", float(step))
    trial.end()
    assert worker.flush()
    with kuro.Api(small_batches.url) as small:
        [(steps, values)] = all_points(small, group).values()
    assert steps == list(range(n)) and values == [float(s) for s in range(n)]
    assert worker.session.spool.failed() == []


@pytest.mark.live
def test_the_worker_learns_the_servers_limits(small_batches, make_worker):
    """The sender asks the server's health answer, and cuts batches to its limit."""
    worker = make_worker(small_batches.url)
    assert worker.flush()
    assert worker.session.sender.limits["max_batch_points"] == 1_000
    assert worker.session.sender.batch_size == 1_000


@pytest.mark.live
def test_sync_splits_an_offline_session_for_a_server_with_small_batches(
    small_batches, make_worker, group
):
    """``kuro sync`` delivers a 3,000-point batch recorded offline to a 1,000-point server."""
    worker = make_worker(small_batches.url, mode="offline")
    with worker.experiment(group, "m", metrics=["loss"]).trial() as trial:
        for step in range(3_000):
            trial.report_metric("loss", float(step))
    worker.close()
    report = sync(server=small_batches.url)
    assert report.points == 3_000 and report.refused == []
    with kuro.Api(small_batches.url) as small:
        [(steps, _)] = all_points(small, group).values()
    assert steps == list(range(3_000))


def test_a_refused_batch_is_split_in_halves_with_derived_ids(spool_dir: Path):
    """A 413 is answered with two halves, ``<id>-a`` and ``<id>-b``, again until they fit."""
    fake = _TooLarge(limit=300)
    transport = HttpTransport("http://kuro.test", transport=httpx.MockTransport(fake.handle))
    answer = deliver(transport, Spool(spool_dir), _points_op(1_000, "xyz"))
    ids = [b["batch_id"] for b in fake.batches]
    assert ids == ["xyz-a-a", "xyz-a-b", "xyz-b-a", "xyz-b-b"]
    steps = [step for b in fake.batches for s in b["series"] for step in s["steps"]]
    assert steps == list(range(1_000))
    assert answer == {"n_points": 1_000, "prune": [250]}


def test_a_split_is_the_same_when_sent_again(spool_dir: Path):
    """The halves' ids depend only on the batch: a resend is recognized by the server."""
    fake = _TooLarge(limit=600)
    transport = HttpTransport("http://kuro.test", transport=httpx.MockTransport(fake.handle))
    op = _points_op(1_000, "same")
    deliver(transport, Spool(spool_dir), op)
    deliver(transport, Spool(spool_dir), op)
    first, second = fake.batches[:2], fake.batches[2:]
    assert first == second


def test_a_series_straddling_the_middle_is_cut(spool_dir: Path):
    """Points of several series split at the middle point, keeping each series' order."""
    fake = _TooLarge(limit=3)
    transport = HttpTransport("http://kuro.test", transport=httpx.MockTransport(fake.handle))
    series = [
        {
            "trial_id": t,
            "metric": "loss",
            "steps": [0, 1, 2],
            "values": [1, "NaN", 3],
            "times": [0, 0, 0],
        }
        for t in (1, 2)
    ]
    body = dumps({"batch_id": "s", "series": series})
    deliver(transport, Spool(spool_dir), Op("points", "POST", "/points", body, n_points=6))
    got = [(s["trial_id"], s["steps"], s["values"]) for b in fake.batches for s in b["series"]]
    assert got == [(1, [0, 1, 2], [1, "NaN", 3]), (2, [0, 1, 2], [1, "NaN", 3])]


def test_one_point_too_large_is_refused_not_split_forever(spool_dir: Path, testing):
    """A single point the server refuses goes to failed/, and flush() says False."""
    fake = _TooLarge(limit=0)
    sender = Sender(
        HttpTransport("http://kuro.test", transport=httpx.MockTransport(fake.handle)),
        Spool(spool_dir),
    )
    sender.queue.append((1, "loss", 0, 1.0, 0.0))
    assert not sender.flush(5)
    assert len(sender.spool.failed()) == 1
    sender.close(timeout=0)
