"""Issue 3: the client's cost in the training thread, and its end-to-end throughput.

Fresh ``kuro server``s on SQLite (2 workers). The median cost of one
``Trial.report_metric`` in the training thread over 100,000 calls (each call timed alone,
while the background sender delivers), beside a bare ``deque.append`` timed the same way.
One trial reports 1,000,000 points as fast as it can: the time from the first call until
the server has committed every point (``Worker.flush``), as a ratio to the server's own
batch-ingest rate (``benchmarks.server.api_rate``: 1,000,000 points in pre-built 10,000-point
requests, 4 in flight) measured in the same run on a server of its own. The median cost
of ``experiment.trial()`` (acquire, then end) with the run context captured and sent, beside
the same with capture off, and the one-off cost of capturing the context in this process.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections import deque
from pathlib import Path

import kuro
from benchmarks.report import figure, ratio
from benchmarks.server import api_rate
from kuro.client._context import capture_context
from kuro.server.testing import LiveServer

CALLS = 100_000
TRIALS = 200
POINTS = int(os.environ.get("KURO_BENCH_CLIENT_POINTS", "1000000"))


def enqueue_costs(server: LiveServer, spool: Path) -> tuple[float, float]:
    """Median seconds of one report_metric call, and of one bare deque.append."""
    worker = kuro.Worker("bench-enqueue", server.url, spool_dir=spool)
    trial = worker.experiment("bench-client", "enqueue", metrics=["loss"]).trial()
    report, clock = trial.report_metric, time.perf_counter_ns
    costs = []
    for _ in range(CALLS):
        started = clock()
        report("loss", 0.5)
        costs.append(clock() - started)
    append = deque().append
    baseline = []
    for _ in range(CALLS):
        started = clock()
        append(0.5)
        baseline.append(clock() - started)
    trial.end()
    worker.close()
    return statistics.median(costs) / 1e9, statistics.median(baseline) / 1e9


def end_to_end(server: LiveServer, spool: Path) -> float:
    """Points/s from the first report_metric until the server has committed every point."""
    values = [random.random() for _ in range(POINTS)]
    worker = kuro.Worker("bench-e2e", server.url, spool_dir=spool, flush_timeout=600)
    trial = worker.experiment("bench-client", "e2e", metrics=["loss"]).trial()
    report = trial.report_metric
    started = time.perf_counter()
    for value in values:
        report("loss", value)
    trial.end()
    if not worker.flush(600):
        raise RuntimeError("the client did not deliver every point within 600 s")
    elapsed = time.perf_counter() - started
    worker.close()
    with kuro.Api(server.url) as api:
        series = api.history([trial.id])[0]["metrics"]["loss"]
    assert series["count"] == POINTS and series["values"] == values, "points lost or changed"
    return POINTS / elapsed


def trial_cost(server: LiveServer, spool: Path, *, capture: bool) -> float:
    """Median seconds of one ``experiment.trial()`` call (each trial then ended)."""
    name = f"bench-trial-{'on' if capture else 'off'}"
    worker = kuro.Worker(name, server.url, spool_dir=spool, capture=capture)
    experiment = worker.experiment("bench-client", name, metrics=["loss"], n_trials=TRIALS)
    costs = []
    for _ in range(TRIALS):
        started = time.perf_counter()
        trial = experiment.trial()
        costs.append(time.perf_counter() - started)
        assert trial is not None
        trial.end()
    worker.close()
    return statistics.median(costs)


def capture_cost() -> float:
    """Seconds to capture this process's run context once (git, packages), cold."""
    started = time.perf_counter()
    capture_context()
    return time.perf_counter() - started


def _fresh_server(data_dir: Path) -> LiveServer:
    server = LiveServer(data_dir, workers=2, database_url=None)
    server.start()
    return server


def run() -> None:
    # Each measure on a fresh server and database, so neither starts on a fuller table.
    env_url = os.environ.pop("KURO_DATABASE_URL", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            server = _fresh_server(tmp / "ingest")
            try:
                ingest, _ = api_rate(server)
            finally:
                server.stop()
            server = _fresh_server(tmp / "client")
            try:
                client = end_to_end(server, tmp / "spool")
                cost, append = enqueue_costs(server, tmp / "spool")
                trial_off = trial_cost(server, tmp / "spool", capture=False)
                trial_on = trial_cost(server, tmp / "spool", capture=True)
            finally:
                server.stop()
    finally:
        if env_url is not None:
            os.environ["KURO_DATABASE_URL"] = env_url
    name = f"report_metric in the training thread, median of {CALLS:,}"
    figure(name, cost * 1e6, "us", "(target <= 5 us)")
    figure(f"bare deque.append, median of {CALLS:,}", append * 1e6, "us")
    ratio("report_metric / deque.append", cost, append)
    figure(f"client end to end, {POINTS:,} points until committed", client, "points/s")
    figure("server batch ingest (benchmarks.server.api_rate)", ingest, "points/s")
    ratio("client end to end / server batch ingest", client, ingest, ">= 0.5")
    figure(f"experiment.trial(), capture on, median of {TRIALS}", trial_on * 1e3, "ms")
    figure(f"experiment.trial(), capture off, median of {TRIALS}", trial_off * 1e3, "ms")
    ratio("trial() capture on / capture off", trial_on, trial_off, "<= 1.1")
    figure("run context capture, once per process (git, packages)", capture_cost() * 1e3, "ms")
