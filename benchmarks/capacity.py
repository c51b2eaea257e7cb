"""Issue 13: the figures behind ``docs/capacity.md``. PostgreSQL only (``KURO_DATABASE_URL``).

Simulated GPU workers, each a running trial logging 10 metrics a step: every request is
one worker's step, 10 series of one point (what the client sends when the 10 metrics of a
step are reported together), posted by ``CONNECTIONS`` client threads in a closed loop
for ``SECONDS`` s, over ``SERVERS`` ``kuro server`` processes on one scratch database.
Printed per point, so that they scale to any fleet: server CPU, PostgreSQL CPU (the
backends of the database), WAL bytes, rows written per table, bytes on disk per table
after the run and after ``VACUUM FULL``, and the connections the servers held.

``python -m benchmarks.capacity`` (``KURO_CAP_SERVERS``, ``KURO_CAP_WORKERS``,
``KURO_CAP_SECONDS``, ``KURO_CAP_CONNECTIONS`` override the defaults).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg

from benchmarks.report import figure, percentile
from kuro.server.testing import LiveServer, scratch_database

SERVERS = int(os.environ.get("KURO_CAP_SERVERS", "2"))
WORKERS = int(os.environ.get("KURO_CAP_WORKERS", "200"))  # simulated GPU workers (trials)
SECONDS = float(os.environ.get("KURO_CAP_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("KURO_CAP_CONNECTIONS", "8"))
METRICS = 10
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pids: set[int]) -> dict[int, float]:
    """CPU seconds (user + system) so far of each live process of ``pids``."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return seconds


def _group_pids(server: LiveServer) -> set[int]:
    """The server's gunicorn master and workers (its process group)."""
    assert server.process is not None
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == server.process.pid:
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def _backends(db: psycopg.Connection, name: str) -> set[int]:
    rows = db.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [name],
    ).fetchall()
    return {pid for (pid,) in rows}


def _tables(db: psycopg.Connection) -> dict[str, tuple[int, int, int]]:
    """Rows inserted, updated and deleted so far per kuro table."""
    rows = db.execute(
        "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
    ).fetchall()
    return {name: (i, u, d) for name, i, u, d in rows}


def _sizes(db: psycopg.Connection) -> dict[str, int]:
    rows = db.execute(
        "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"
    ).fetchall()
    return dict(rows)


def _database(db: psycopg.Connection, name: str) -> tuple[int, float, int]:
    """Sessions opened, milliseconds spent running statements, and commits, so far."""
    row = db.execute(
        "SELECT sessions, active_time, xact_commit FROM pg_stat_database WHERE datname = %s",
        [name],
    ).fetchone()
    assert row is not None
    return int(row[0]), float(row[1]), int(row[2])


def _wal(db: psycopg.Connection) -> int:
    return int(db.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()[0])


def _setup(url: str) -> list[int]:
    """One experiment of ``WORKERS`` running trials, its 10 metrics declared."""
    with httpx.Client(base_url=f"{url}/api/v1", timeout=120) as http:
        body = {
            "group": "capacity",
            "identifier": "gpu",
            "n_trials": WORKERS,
            "metrics": [{"name": f"m{k}", "mode": "min"} for k in range(METRICS)],
        }
        e = http.post("/experiments", json=body).raise_for_status().json()
        return [
            http.post(f"/experiments/{e['id']}/trials", json={"worker": f"gpu-{n}"})
            .raise_for_status()
            .json()["trial"]["id"]
            for n in range(WORKERS)
        ]


def _load(urls: list[str], trials: list[int]) -> tuple[int, list[float]]:
    """Post one step of one worker per request until ``SECONDS`` pass; requests, latencies."""
    latencies: list[float] = []
    steps = dict.fromkeys(trials, 0)
    stop = time.monotonic() + SECONDS
    lock = threading.Lock()

    def client(n: int) -> None:
        mine = trials[n::CONNECTIONS]
        own: list[float] = []
        with httpx.Client(base_url=f"{urls[n % len(urls)]}/api/v1", timeout=120) as http:
            i = 0
            while time.monotonic() < stop:
                trial = mine[i % len(mine)]
                i += 1
                step = steps[trial]
                steps[trial] = step + 1
                now = time.time()
                series = [
                    {
                        "trial_id": trial,
                        "metric": f"m{k}",
                        "steps": [step],
                        "values": [1.0 / (step + 1) + k],
                        "times": [now],
                    }
                    for k in range(METRICS)
                ]
                started = time.perf_counter()
                http.post(
                    "/points", json={"batch_id": uuid.uuid4().hex, "series": series}
                ).raise_for_status()
                own.append(time.perf_counter() - started)
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies), latencies


def run() -> None:
    base = os.environ.get("KURO_DATABASE_URL")
    if not base:
        print("  capacity: needs KURO_DATABASE_URL (PostgreSQL); skipped")
        return
    url, drop = scratch_database(base)
    name = url.rsplit("/", 1)[1]
    servers: list[LiveServer] = []
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(url, autocommit=True) as db:
        try:
            for n in range(SERVERS):
                server = LiveServer(Path(tmp) / "data", database_url=url)
                server.log = Path(tmp) / f"server-{n}.log"
                server.start()
                servers.append(server)
            trials = _setup(servers[0].url)
            db.execute("VACUUM ANALYZE")
            pids = set().union(*(_group_pids(s) for s in servers))
            server_before = _cpu(pids)
            backends_before = _cpu(_backends(db, name))
            tables_before, sizes_before, wal_before = _tables(db), _sizes(db), _wal(db)
            database_before = _database(db, name)
            peak = [0]
            done = threading.Event()

            def watch() -> None:  # the most connections the servers hold at once
                with psycopg.connect(url, autocommit=True) as own:
                    while not done.wait(0.2):
                        peak[0] = max(peak[0], len(_backends(own, name)) - 1)

            watcher = threading.Thread(target=watch)
            watcher.start()
            started = time.perf_counter()
            try:
                requests, latencies = _load([s.url for s in servers], trials)
            finally:
                done.set()
                watcher.join()
            elapsed = time.perf_counter() - started
            connections = len(_backends(db, name))
            server_cpu = sum(v - server_before.get(p, 0.0) for p, v in _cpu(pids).items())
            backend_cpu = sum(
                v - backends_before.get(p, 0.0) for p, v in _cpu(_backends(db, name)).items()
            )
            wal = _wal(db) - wal_before
            time.sleep(1)  # the statistics of closed sessions arrive with a short delay
            sessions, active, commits = (
                now - then for now, then in zip(_database(db, name), database_before, strict=True)
            )
            tables = _tables(db)
            sizes = _sizes(db)
            db.execute("VACUUM FULL")
            compact = _sizes(db)
        finally:
            for server in servers:
                server.stop()
        drop()
    points = requests * METRICS
    figure(
        f"{SERVERS} server(s) x 2 processes, {CONNECTIONS} connections, {WORKERS} workers",
        points / elapsed,
        "points/s",
        f"{requests / elapsed:,.0f} requests/s of 10 points",
    )
    figure("POST /points latency p50", statistics.median(latencies) * 1e3, "ms")
    figure("POST /points latency p99", percentile(latencies, 0.99) * 1e3, "ms")
    figure("server CPU per 1,000 points", server_cpu / points * 1e3, "s")
    figure("PostgreSQL backend CPU per 1,000 points", backend_cpu / points * 1e3, "s")
    figure("WAL per point", wal / points, "bytes")
    figure("PostgreSQL time running statements per 1,000 points", active / points, "s")
    figure("PostgreSQL commits per request", commits / requests, "")
    figure("PostgreSQL sessions opened per request", sessions / requests, "")
    figure("connections held by the servers at the end", connections, "")
    figure("connections held by the servers at most", peak[0], "")
    for table in sorted(tables):
        i, u, d = (
            now - then
            for now, then in zip(tables[table], tables_before.get(table, (0, 0, 0)), strict=True)
        )
        grown = sizes.get(table, 0) - sizes_before.get(table, 0)
        if i or u or d:
            figure(
                f"{table}: rows per point (ins/upd/del {i / points:.3f}/{u / points:.3f}/"
                f"{d / points:.3f})",
                grown / points,
                "bytes/point grown",
                f"after VACUUM FULL {compact.get(table, 0) / points:.1f} bytes/point",
            )


if __name__ == "__main__":
    run()
