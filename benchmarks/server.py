"""Issue 2: batch ingest through the HTTP API against a raw sqlite3 upsert, and a history read.

A fresh ``kuro server`` on SQLite; one client process posts 1,000,000 points in batches of
10,000 (100 trials x 10,000 steps, 4 requests in flight over pooled connections). The
baseline is a raw ``sqlite3`` ``executemany`` upsert of the same rows, in batches of the same
size, into an equivalent table with the same pragmas.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.report import figure, ratio
from kuro.server.testing import LiveServer

N_TRIALS = int(os.environ.get("KURO_BENCH_TRIALS", "100"))
STEPS = int(os.environ.get("KURO_BENCH_STEPS", "10000"))
BATCH = 10_000
IN_FLIGHT = 4


def _values(trial: int, steps: range) -> list[float]:
    rng = random.Random(trial)
    return [rng.random() for _ in steps]


def raw_sqlite_rate(path: Path) -> float:
    """Rows/s of a raw executemany upsert of N_TRIALS x STEPS rows."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")  # as the server commits
    db.execute(
        "CREATE TABLE point (id INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL, "
        "metric_id INTEGER NOT NULL, step INTEGER NOT NULL, value REAL, time REAL NOT NULL)"
    )
    db.execute("CREATE UNIQUE INDEX point_unique ON point (trial_id, metric_id, step)")
    sql = (
        "INSERT INTO point (trial_id, metric_id, step, value, time) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (trial_id, metric_id, step) DO UPDATE SET value=excluded.value, "
        "time=excluded.time"
    )
    now = time.time()
    batches = []
    for trial in range(N_TRIALS):
        values = _values(trial, range(STEPS))
        rows = [(trial, 1, s, values[s], now) for s in range(STEPS)]
        batches += [rows[i : i + BATCH] for i in range(0, STEPS, BATCH)]
    started = time.perf_counter()
    for rows in batches:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, rows)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return N_TRIALS * STEPS / elapsed


def api_rate(server: LiveServer) -> tuple[float, float]:
    """Points/s through POST /points and the median request latency."""
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=120) as http:
        e = http.post(
            "/experiments",
            json={
                "group": "bench",
                "identifier": "ingest",
                "n_trials": N_TRIALS,
                "metrics": [{"name": "loss"}],
            },
        ).json()
        trial_ids = [
            http.post(f"/experiments/{e['id']}/trials", json={"worker": f"w{i}"}).json()["trial"][
                "id"
            ]
            for i in range(N_TRIALS)
        ]
    now = time.time()
    bodies = []
    for n, trial_id in enumerate(trial_ids):
        values = _values(n, range(STEPS))
        for start in range(0, STEPS, BATCH):
            steps = list(range(start, min(start + BATCH, STEPS)))
            bodies.append(
                {
                    "batch_id": f"bench-{trial_id}-{start}",
                    "series": [
                        {
                            "trial_id": trial_id,
                            "metric": "loss",
                            "steps": steps,
                            "values": [values[s] for s in steps],
                            "times": [now] * len(steps),
                        }
                    ],
                }
            )
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    latencies: list[float] = []
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=120, limits=limits) as http:

        def post(body: dict) -> None:
            t = time.perf_counter()
            r = http.post("/points", json=body)
            latencies.append(time.perf_counter() - t)
            r.raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            list(pool.map(post, bodies))
        elapsed = time.perf_counter() - started
    return N_TRIALS * STEPS / elapsed, statistics.median(latencies)


def history_read(server: LiveServer, trial_ids: list[int], steps: int) -> float:
    """Seconds to read the full history of 100 trials x ``steps`` steps in one request."""
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=120) as http:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            r = http.post("/history", json={"trial_ids": trial_ids[:100]})
            times.append(time.perf_counter() - t)
            r.raise_for_status()
        got = sum(len(s["steps"]) for h in r.json() for s in h["metrics"].values())
        assert got == 100 * steps, got
    return statistics.median(times)


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raw = raw_sqlite_rate(tmp / "raw.sqlite3")
        server = LiveServer(tmp / "server", workers=2, database_url=None)
        server.database_url = None
        env_url = os.environ.pop("KURO_DATABASE_URL", None)
        try:
            server.start()
            rate, latency = api_rate(server)
            # The 100 x 1,000-step read the issue names: a second group of 1,000-step trials.
            read_ids = _thousand_step_trials(server)
            read = history_read(server, read_ids, 1000)
        finally:
            server.stop()
            if env_url is not None:
                os.environ["KURO_DATABASE_URL"] = env_url
    points = N_TRIALS * STEPS
    figure(f"raw sqlite3 executemany upsert ({points:,} rows)", raw, "rows/s")
    figure(
        f"API ingest, POST /points x {points // BATCH} batches",
        rate,
        "points/s",
        f"median request {latency * 1000:.0f} ms",
    )
    ratio("API ingest / raw sqlite3", rate, raw, ">= 0.25")
    figure("history read, 100 trials x 1,000 steps, one request", read, "s", "(target <= 0.15 s)")


def _thousand_step_trials(server: LiveServer) -> list[int]:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=120) as http:
        e = http.post(
            "/experiments",
            json={
                "group": "bench-read",
                "identifier": "read",
                "n_trials": 100,
                "metrics": [{"name": "loss"}],
            },
        ).json()
        ids = [
            http.post(f"/experiments/{e['id']}/trials", json={"worker": f"r{i}"}).json()["trial"][
                "id"
            ]
            for i in range(100)
        ]
        for chunk in range(0, 100, 10):
            http.post(
                "/points",
                json={
                    "series": [
                        {
                            "trial_id": t,
                            "metric": "loss",
                            "steps": list(range(1000)),
                            "values": _values(t, range(1000)),
                        }
                        for t in ids[chunk : chunk + 10]
                    ]
                },
            ).raise_for_status()
    return ids
