"""Issue 3: the client's cost in the training thread, and its end-to-end throughput.

Fresh ``kuro server``s on SQLite (2 workers). The median cost of one
``Trial.report_metric`` in the training thread over 100,000 calls (each call timed alone,
while the background sender delivers), beside a bare ``deque.append`` timed the same way.
One trial reports 1,000,000 points as fast as it can: the time from the first call until
the server has committed every point (``Worker.flush``), as a ratio to the server's own
batch-ingest rate (``benchmarks.server.api_rate``: 1,000,000 points in pre-built 10,000-point
requests, 4 in flight) measured in the same run on a server of its own. The median cost
of ``experiment.trial()`` (acquire, then end) with the run context captured and sent, beside
the same with capture off (two workers taking turns in blocks of 50 trials), and the one-off
cost of capturing the context in this process.

Issue 13, what waits for delivery, each beside a bare ``POST /points`` of one point (httpx,
one kept-alive connection) on the same server: the median of one point then
``Worker.flush()`` (synchronous use), the median ``experiment.trial()``, and 100 trials x
1,000 steps through the client (each trial acquired, reported, ended) beside the same
requests made bare (acquire, one 1,000-point ``POST /points``, end).

Issue 13, PostgreSQL beside SQLite, when ``KURO_DATABASE_URL`` names a PostgreSQL server:
the client end to end and the server's batch ingest (REST batches) again, each on a fresh
server (same settings) with a new scratch database of its own, taken next to SQLite's (the
ingest just after it, the end to end just before it), each as a ratio to SQLite's in the
same run.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

import httpx

import kuro
from benchmarks.report import figure, ratio
from benchmarks.server import api_rate
from kuro.client._context import capture_context
from kuro.server.testing import LiveServer, scratch_database

CALLS = 100_000
TRIALS = 200
TRIAL_BLOCKS = 4  # capture off and on take turns, TRIALS // TRIAL_BLOCKS trials at a time
POINTS = int(os.environ.get("KURO_BENCH_CLIENT_POINTS", "1000000"))
SYNC_CALLS = 300
WAVE_TRIALS, WAVE_STEPS = 100, 1_000


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


def trial_costs(server: LiveServer, spool: Path) -> tuple[float, float]:
    """Median seconds of one ``experiment.trial()`` call (each trial then ended), with the
    run context captured and sent, and with capture off: two workers taking turns in blocks
    of trials run one after another, so that a change in the machine's load weighs on both
    alike while each ``trial()`` still follows its own previous trial's end."""
    experiments = {}
    workers = []
    for capture in (False, True):
        name = f"bench-trial-{'on' if capture else 'off'}"
        worker = kuro.Worker(name, server.url, spool_dir=spool, capture=capture)
        workers.append(worker)
        experiment = worker.experiment("bench-client", name, metrics=["loss"], n_trials=TRIALS)
        experiments[capture] = experiment
    costs: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(TRIAL_BLOCKS):
        for capture, experiment in experiments.items():
            for _ in range(TRIALS // TRIAL_BLOCKS):
                started = time.perf_counter()
                trial = experiment.trial()
                costs[capture].append(time.perf_counter() - started)
                assert trial is not None
                trial.end()
    for worker in workers:
        worker.close()
    return statistics.median(costs[True]), statistics.median(costs[False])


def _trial_id(http: httpx.Client, identifier: str, n_trials: int = 1) -> tuple[int, int]:
    """A new experiment of ``bench-client`` and its first trial, made bare: (experiment, trial)."""
    body = {
        "group": "bench-client",
        "identifier": identifier,
        "n_trials": n_trials,
        "metrics": [{"name": "loss"}],
    }
    experiment = http.post("/experiments", json=body).raise_for_status().json()["id"]
    trial = http.post(f"/experiments/{experiment}/trials", json={"worker": identifier})
    return experiment, trial.raise_for_status().json()["trial"]["id"]


def _one_point(trial_id: int, step: int) -> dict:
    series = {"trial_id": trial_id, "metric": "loss", "steps": [step], "values": [0.5]}
    return {"batch_id": uuid.uuid4().hex, "series": [{**series, "times": [time.time()]}]}


def bare_post(server: LiveServer) -> float:
    """Median seconds of a bare one-point ``POST /points`` (httpx, kept-alive connection)."""
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as http:
        _, trial_id = _trial_id(http, "bare-post")
        costs = []
        for step in range(SYNC_CALLS):
            body = _one_point(trial_id, step)
            started = time.perf_counter()
            http.post("/points", json=body).raise_for_status()
            costs.append(time.perf_counter() - started)
    return statistics.median(costs)


def synchronous(server: LiveServer, spool: Path) -> float:
    """Median seconds of one ``report_metric`` then ``Worker.flush()``."""
    worker = kuro.Worker("bench-sync", server.url, spool_dir=spool, capture=False)
    trial = worker.experiment("bench-client", "sync", metrics=["loss"]).trial()
    assert trial is not None
    costs = []
    for _ in range(SYNC_CALLS):
        started = time.perf_counter()
        trial.report_metric("loss", 0.5)
        delivered = worker.flush(60)
        costs.append(time.perf_counter() - started)
        assert delivered, "a point was not delivered within 60 s"
    trial.end()
    worker.close()
    return statistics.median(costs)


def wave_client(server: LiveServer, spool: Path) -> float:
    """Points/s of 100 trials x 1,000 steps through the client, until committed."""
    worker = kuro.Worker("bench-wave", server.url, spool_dir=spool, capture=False)
    experiment = worker.experiment("bench-client", "wave", metrics=["loss"], n_trials=WAVE_TRIALS)
    values = [random.random() for _ in range(WAVE_STEPS)]
    started = time.perf_counter()
    for _ in range(WAVE_TRIALS):
        trial = experiment.trial()
        assert trial is not None
        report = trial.report_metric
        for value in values:
            report("loss", value)
        trial.end()
    if not worker.flush(600):
        raise RuntimeError("the client did not deliver every point within 600 s")
    elapsed = time.perf_counter() - started
    worker.close()
    return WAVE_TRIALS * WAVE_STEPS / elapsed


def wave_bare(server: LiveServer) -> float:
    """Points/s of the same 100 trials x 1,000 steps as bare requests, one connection:
    acquire a trial, one 1,000-point ``POST /points``, end it."""
    values = [random.random() for _ in range(WAVE_STEPS)]
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as http:
        experiment, first = _trial_id(http, "wave-bare", n_trials=WAVE_TRIALS)
        started = time.perf_counter()
        for n in range(WAVE_TRIALS):
            if n:
                answer = http.post(f"/experiments/{experiment}/trials", json={"worker": f"b{n}"})
                trial_id = answer.raise_for_status().json()["trial"]["id"]
            else:
                trial_id = first
            series = {"trial_id": trial_id, "metric": "loss", "steps": list(range(WAVE_STEPS))}
            series.update(values=values, times=[time.time()] * WAVE_STEPS)
            body = {"batch_id": uuid.uuid4().hex, "series": [series]}
            http.post("/points", json=body).raise_for_status()
            http.post(f"/trials/{trial_id}/end", json={"status": "complete"}).raise_for_status()
        elapsed = time.perf_counter() - started
    return WAVE_TRIALS * WAVE_STEPS / elapsed


def capture_cost() -> float:
    """Seconds to capture this process's run context once (git, packages), cold."""
    started = time.perf_counter()
    capture_context()
    return time.perf_counter() - started


def _fresh_server(data_dir: Path, database_url: str | None = None) -> LiveServer:
    server = LiveServer(data_dir, workers=2, database_url=database_url)
    server.start()
    return server


def _on_postgresql(
    base: str | None, data_dir: Path, measure: Callable[[LiveServer], float]
) -> float | None:
    """``measure(server)`` on a fresh server over a new scratch PostgreSQL database beside
    ``base``'s (dropped after); None without ``base``."""
    if not base:
        return None
    url, drop = scratch_database(base)
    try:
        server = _fresh_server(data_dir, url)
        try:
            return measure(server)
        finally:
            server.stop()
    finally:
        drop()


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
            pg_ingest = _on_postgresql(env_url, tmp / "pg-ingest", lambda s: api_rate(s)[0])
            pg_client = _on_postgresql(
                env_url, tmp / "pg-client", lambda s: end_to_end(s, tmp / "pg-spool")
            )
            server = _fresh_server(tmp / "client")
            try:
                client = end_to_end(server, tmp / "spool")
                cost, append = enqueue_costs(server, tmp / "spool")
                trial_on, trial_off = trial_costs(server, tmp / "spool")
                bare = bare_post(server)
                sync = synchronous(server, tmp / "spool")
                wave = wave_client(server, tmp / "spool")
                wave_baseline = wave_bare(server)
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
    if pg_ingest is not None and pg_client is not None:
        # Issue 13: PostgreSQL's ingest at least SQLite's, in the same run.
        figure("PostgreSQL: client end to end, until committed", pg_client, "points/s")
        ratio("client end to end, PostgreSQL / SQLite", pg_client, client, ">= 1")
        figure("PostgreSQL: server batch ingest (REST batches)", pg_ingest, "points/s")
        ratio("server batch ingest (REST batches), PostgreSQL / SQLite", pg_ingest, ingest, ">= 1")
    else:
        print("  (PostgreSQL skipped: KURO_DATABASE_URL is not set)", flush=True)
    figure(f"experiment.trial(), capture on, median of {TRIALS}", trial_on * 1e3, "ms")
    figure(f"experiment.trial(), capture off, median of {TRIALS}", trial_off * 1e3, "ms")
    ratio("trial() capture on / capture off", trial_on, trial_off, "<= 1.1")
    figure("run context capture, once per process (git, packages)", capture_cost() * 1e3, "ms")
    figure(f"bare POST /points of one point, median of {SYNC_CALLS}", bare * 1e3, "ms")
    figure(f"one point then flush(), median of {SYNC_CALLS}", sync * 1e3, "ms")
    ratio("one point then flush() / bare POST /points", sync, bare, "<= 1.5")
    ratio("experiment.trial(), capture off / bare POST /points", trial_off, bare, "<= 3")
    name = f"{WAVE_TRIALS} trials x {WAVE_STEPS:,} steps"
    figure(f"{name} through the client, until committed", wave, "points/s")
    figure(f"{name} as bare requests (acquire, POST, end)", wave_baseline, "points/s")
    ratio(f"{name}: client / bare requests", wave, wave_baseline, ">= 0.7")
