"""Issue 13: how metric series are stored: bytes per point, and reads that cost per pixel.

For SQLite and for PostgreSQL (``KURO_DATABASE_URL``; skipped, and said so, when unset),
each in a child process with a fresh test database:

- *ingest*: 100 trials x 2 metrics grown step by step through ``points_ingest`` (batches of
  5 trials x 2 metrics x 1,000 steps, as a client sends them), in points/s;
- *bytes per point*: the on-disk size of the tables (with their indexes) that hold the
  points, divided by the points stored (the issue's target: at most 16);
- *downsampled read*: ``metric_history`` of the 100 trials, both metrics,
  ``max_points=1000``, once the series reach 1,000, 10,000 and 30,000 steps
  (``KURO_BENCH_STORAGE_STEPS``). The baseline is the read at the first size, in the same
  run: a read that costs per pixel stays near 1x as the series grow. Each read is timed
  on the wall clock and in this process's CPU time (the server's side of the work without
  the database's, but much less moved by other load on a shared machine).
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from benchmarks.report import figure, ratio

TRIALS = 100
METRICS = (("loss", "min"), ("acc", "max"))
STEPS = [int(s) for s in os.environ.get("KURO_BENCH_STORAGE_STEPS", "1000,10000,30000").split(",")]
GROW = 1000  # steps per series per batch
TRIALS_PER_BATCH = 5
REPEATS = 3
# The models whose tables hold metric points (before issue 13: "Point", one row a point).
POINT_MODELS = ("Chunk",)


def _child(vendor: str) -> dict[str, Any]:
    """Runs in a child process: build, grow and read; figures as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KURO_DATA_DIR"] = tmp
        if vendor == "sqlite":
            os.environ.pop("KURO_DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuro.server.settings")
        import django

        django.setup()
        from django.db import connection

        # A test database (test_<name> on PostgreSQL), never the configured one's data.
        old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
        try:
            return _measure()
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _measure() -> dict[str, Any]:
    from kuro.server.tracking.selectors import metric_history
    from kuro.server.tracking.services import (
        PointSeries,
        experiment_get_or_create,
        points_ingest,
        trial_acquire,
    )

    experiment = experiment_get_or_create(
        group="bench-storage", identifier="grow", n_trials=TRIALS, metrics=list(METRICS)
    )
    trial_ids = [
        trial_acquire(experiment_id=experiment.pk, worker=f"w{i}").pk for i in range(TRIALS)
    ]
    rng = random.Random(13)
    level = {t: rng.uniform(0.05, 0.5) for t in trial_ids}
    out: dict[str, Any] = {"reads": {}, "read_cpu": {}, "ingest_seconds": 0.0, "ingest_points": 0}
    have = 0
    now = time.time()
    for target in STEPS:
        while have < target:
            steps = range(have, min(have + GROW, target))
            for start in range(0, TRIALS, TRIALS_PER_BATCH):
                series = [
                    PointSeries(
                        trial_id=t,
                        metric=name,
                        steps=list(steps),
                        values=[level[t] + math.exp(-s / 3000) + rng.gauss(0, 0.02) for s in steps],
                        times=[now + s * 0.25 for s in steps],
                    )
                    for t in trial_ids[start : start + TRIALS_PER_BATCH]
                    for name, _ in METRICS
                ]
                started = time.perf_counter()
                points_ingest(series=series)
                out["ingest_seconds"] += time.perf_counter() - started
                out["ingest_points"] += sum(len(s.steps) for s in series)
            have = steps.stop
        times, cpu = [], []
        for _ in range(REPEATS):
            started, started_cpu = time.perf_counter(), time.process_time()
            history = metric_history(trial_ids=trial_ids, max_points=1000)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        shown = sum(len(s["steps"]) for h in history for s in h["metrics"].values())
        assert shown <= TRIALS * len(METRICS) * 1000, shown
        out["reads"][str(target)] = statistics.median(times)
        out["read_cpu"][str(target)] = statistics.median(cpu)
    out["bytes"] = _point_bytes()
    out["points"] = TRIALS * len(METRICS) * STEPS[-1]
    return out


def _point_bytes() -> int:
    """On-disk bytes of the point tables and their indexes."""
    from django.apps import apps
    from django.db import connection

    tables = [
        m._meta.db_table
        for m in apps.get_app_config("tracking").get_models()
        if m.__name__ in POINT_MODELS
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            total = 0
            for table in tables:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                total += cursor.fetchone()[0]
            return total
        names = list(tables)
        for table in tables:
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = %s", [table])
            names += [row[0] for row in cursor.fetchall()]
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({marks})", names)
        return cursor.fetchone()[0]


def _report(vendor: str, got: dict[str, Any]) -> None:
    label = "SQLite" if vendor == "sqlite" else "PostgreSQL"
    rate = got["ingest_points"] / got["ingest_seconds"]
    figure(f"{label}: ingest through points_ingest (10,000-point batches)", rate, "points/s")
    per_point = got["bytes"] / got["points"]
    figure(
        f"{label}: bytes per stored point ({got['points']:,} points)",
        per_point,
        "B",
        "(target <= 16)",
    )
    reads = got["reads"]
    first = str(STEPS[0])
    for steps, seconds in reads.items():
        figure(
            f"{label}: read 100 trials x 2 metrics x {int(steps):,} steps, max_points=1000",
            seconds,
            "s",
        )
    for steps, seconds in reads.items():
        if steps != first:
            ratio(
                f"{label}: read at {int(steps):,} / at {int(first):,} steps", seconds, reads[first]
            )
    cpu = got["read_cpu"]
    for steps, seconds in cpu.items():
        figure(f"{label}: the same read at {int(steps):,} steps, CPU of this process", seconds, "s")
    for steps, seconds in cpu.items():
        if steps != first:
            ratio(
                f"{label}: read at {int(steps):,} / at {int(first):,} steps, CPU",
                seconds,
                cpu[first],
            )


def run() -> None:
    vendors = ["sqlite"]
    if os.environ.get("KURO_DATABASE_URL"):
        vendors.append("postgresql")
    else:
        print("  (PostgreSQL skipped: KURO_DATABASE_URL is not set)", flush=True)
    rates: dict[str, float] = {}
    for vendor in vendors:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.storage", vendor],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stderr[-3000:], flush=True)
            raise RuntimeError(f"the {vendor} storage benchmark failed")
        got = json.loads(done.stdout.strip().splitlines()[-1])
        _report(vendor, got)
        rates[vendor] = got["ingest_points"] / got["ingest_seconds"]
    if len(rates) == 2:  # issue 13: PostgreSQL's ingest at least SQLite's, in the same run
        ratio("ingest, PostgreSQL / SQLite", rates["postgresql"], rates["sqlite"], ">= 1")


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1])))
