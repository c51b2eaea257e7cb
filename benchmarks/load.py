"""Issue 6: load. 32 concurrent client processes, each logging 20,000 points with the kuro
client into one server (SQLite with 4 server workers; PostgreSQL too when KURO_DATABASE_URL
names it). Every point must be stored exactly once, with its trial's summary right, and no
5xx answer. Printed: aggregate
throughput, as a ratio to one client process alone on the same server (the baseline), and
the p99 server time of POST /points from the access log.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx

from benchmarks.report import figure, percentile, ratio
from kuro.server.testing import LiveServer, scratch_database

PROCESSES = int(os.environ.get("KURO_LOAD_PROCESSES", "32"))
POINTS = int(os.environ.get("KURO_LOAD_POINTS", "20000"))


def _log_points(server: str, index: int, group: str, spool: str) -> float:
    """One training process: a worker, a trial, POINTS reports, a clean exit."""
    os.environ["KURO_SPOOL_DIR"] = spool
    from kuro import Worker

    started = time.perf_counter()
    with Worker(f"load-{index}", server=server) as worker:
        experiment = worker.experiment(
            group, "load", hyper_parameters={"process": index}, metrics=[("loss", "min")]
        )
        trial = experiment.trial()
        for step in range(POINTS):
            trial.report_metric("loss", index + step / POINTS, step=step)
        trial.end()
        assert worker.flush(timeout=600), "points left undelivered"
    return time.perf_counter() - started


def _run(server: LiveServer, group: str, processes: int, spool: str) -> float:
    started = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        list(
            pool.map(
                _log_points,
                [server.url] * processes,
                range(processes),
                [group] * processes,
                [spool] * processes,
            )
        )
    return time.perf_counter() - started


def _verify(server: LiveServer, group: str, processes: int) -> None:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=600) as http:
        data = http.get("/experiments", params={"group": group}).json()
        trials = {e["hyper_parameters"]["process"]: e["trials"] for e in data["experiments"]}
        assert sorted(trials) == list(range(processes)), sorted(trials)
        for index, [trial] in trials.items():
            history = http.get("/history", params={"trial_ids": trial["id"]}).json()
            series = history[0]["metrics"]["loss"]
            assert series["steps"] == list(range(POINTS)), index
            assert series["values"] == [index + s / POINTS for s in range(POINTS)], index
            # The summary kept on write agrees with the points, under concurrent writers.
            assert trial["summaries"]["loss"] == {
                "best": series["values"][0],
                "last": series["values"][-1],
                "last_step": POINTS - 1,
                "count": POINTS,
            }, index


def _access_log(path: Path) -> tuple[int, int, list[float]]:
    """Requests, 5xx answers, and POST /points server times in milliseconds."""
    total = errors = 0
    points = []
    for line in path.read_text().splitlines():
        parts = line.split('"')
        if len(parts) < 3:
            continue
        request, rest = parts[1], parts[2].split()
        status, micros = int(rest[0]), int(rest[2])
        total += 1
        errors += status >= 500
        if request == "POST /api/v1/points":
            points.append(micros / 1000)
    return total, errors, points


def _backend(label: str, tmp: Path, database_url: str | None) -> float:
    """Figures of one backend; returns its aggregate throughput in points/s."""
    log = tmp / f"{label}-access.log"
    server = LiveServer(
        tmp / label, workers=4, database_url=database_url, extra_args=["--access-log", str(log)]
    )
    server.start()
    try:
        alone = _run(server, f"{label}-alone", 1, str(tmp / "spool"))
        crowd = _run(server, f"{label}-crowd", PROCESSES, str(tmp / "spool"))
        _verify(server, f"{label}-alone", 1)
        _verify(server, f"{label}-crowd", PROCESSES)
    finally:
        server.stop()
    total, errors, times = _access_log(log)
    single = POINTS / alone
    aggregate = PROCESSES * POINTS / crowd
    figure(f"{label}: 1 client process, {POINTS:,} points", single, "points/s")
    figure(
        f"{label}: {PROCESSES} client processes x {POINTS:,} points",
        aggregate,
        "points/s",
        f"{crowd:.1f} s, every point stored once",
    )
    ratio(f"{label}: {PROCESSES}-process throughput / 1-process", aggregate, single)
    figure(f"{label}: POST /points server time p50", statistics.median(times), "ms")
    figure(
        f"{label}: POST /points server time p99",
        percentile(times, 0.99),
        "ms",
        f"{len(times)} batches",
    )
    figure(f"{label}: 5xx answers", errors, f"of {total} requests")
    assert errors == 0, f"{errors} answers were 5xx"
    return aggregate


def run() -> None:
    base = os.environ.pop("KURO_DATABASE_URL", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = _backend("SQLite", Path(tmp), None)
            if base:
                url, drop = scratch_database(base)
                try:
                    postgresql = _backend("PostgreSQL", Path(tmp), url)
                finally:
                    drop()
                # Issue 13: PostgreSQL's ingest at least SQLite's, in the same run.
                ratio(f"{PROCESSES} processes, PostgreSQL / SQLite", postgresql, sqlite, ">= 1")
    finally:
        if base is not None:
            os.environ["KURO_DATABASE_URL"] = base
