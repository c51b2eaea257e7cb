"""Issue 13: how metric series are stored: bytes per point, and reads that cost per pixel.

For SQLite and for PostgreSQL (``KURO_DATABASE_URL``; skipped, and said so, when unset),
each in a child process with a fresh test database, the issue's own measurement:

- *ingest*: a group of 100 experiments x 5 trials x 2 metrics (500 trials) per size,
  1,000 and 10,000 steps (1M and 10M points; ``KURO_BENCH_STORAGE_STEPS``, e.g.
  ``1000,10000,30000``), each grown step by step through ``points_ingest`` (a batch per
  experiment: 5 trials x 2 metrics x 1,000 steps, as a client sends them), in points/s;
- *bytes per point*: the on-disk size of the tables (with their indexes) that hold the
  points, divided by the points stored (the issue's target: at most 16);
- for each size, with every group in the database:
    - *downsampled read*: ``metric_history`` of 100 of the group's trials, both metrics,
      ``max_points=1000``;
    - *curves*: the compare page's curves of 20 of its experiments (their 100 trials) in
      mean mode with a ± std band, as its callback draws them (``show_curves``, the group
      read as the page loads it), serialized to JSON as Dash sends them.
- *full read*: ``metric_history`` of 100 trials x 1,000 steps of one metric, every point
  (no ``max_points``), in this process: the issue's target is 0.1 s (``benchmarks.server``
  times the same read over HTTP).

  The baseline of each is the same work at the first size, in the same run: work that
  costs per pixel stays near 1x as the series grow (the issue's targets: at most 0.3 s
  each at 10M points, and 1.3x). The sizes are read in turns, 9 rounds (the median of
  each), so that a drift of this shared machine's load falls on all of them. Each is timed
  on the wall clock and in this process's CPU time (the server's side of the work without
  the database's, but much less moved by other load on a shared machine).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks.report import figure, ratio

EXPERIMENTS = 100
TRIALS = 5  # per experiment
READ_TRIALS = 100
SELECTED = 20  # experiments whose curves are drawn
METRICS = (("loss", "min"), ("acc", "max"))
STEPS = sorted(
    {int(s) for s in os.environ.get("KURO_BENCH_STORAGE_STEPS", "1000,10000").split(",")}
)
GROW = 1000  # steps per series per batch
ROUNDS = 9
GROUP = "bench-storage"
# The models whose tables hold metric points (before issue 13: "Point", one row a point).
POINT_MODELS = ("Chunk",)
TARGET_SECONDS = 0.3
TARGET_RATIO = 1.3
TARGET_FULL_READ = 0.1


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
    import numpy as np

    from kuro.server.tracking.services import (
        PointSeries,
        experiment_get_or_create,
        points_ingest,
        trial_acquire,
        worker_register,
    )

    workers = [worker_register(name=f"bench-storage-{k}").name for k in range(TRIALS)]
    rng = np.random.default_rng(13)
    now = time.time()
    out: dict[str, Any] = {"ingest_seconds": 0.0, "ingest_points": 0}

    def build(group: str, target: int) -> list[int]:
        """A group of EXPERIMENTS x TRIALS x METRICS grown to ``target`` steps."""
        experiments: list[list[int]] = []
        for e in range(EXPERIMENTS):
            experiment = experiment_get_or_create(
                group=group,
                identifier=f"model{e % 4}",
                hyper_parameters={"lr": 10 ** -(1 + e % 5), "seed": e},
                n_trials=TRIALS,
                metrics=list(METRICS),
            )
            # One worker per trial: a worker asking again would resume its running trial.
            experiments.append(
                [trial_acquire(experiment_id=experiment.pk, worker=w).pk for w in workers]
            )
        trial_ids = [t for trials in experiments for t in trials]
        level = dict(zip(trial_ids, rng.uniform(0.05, 0.5, len(trial_ids)).tolist(), strict=True))
        for have in range(0, target, GROW):
            steps = np.arange(have, min(have + GROW, target))
            trend = np.exp(-steps / 3000)
            times = (now + steps * 0.25).tolist()
            for trials in experiments:
                series = [
                    PointSeries(
                        trial_id=t,
                        metric=name,
                        steps=steps.tolist(),
                        values=(level[t] + trend + rng.normal(0, 0.02, len(steps))).tolist(),
                        times=times,
                    )
                    for t in trials
                    for name, _ in METRICS
                ]
                started = time.perf_counter()
                points_ingest(series=series)
                out["ingest_seconds"] += time.perf_counter() - started
                out["ingest_points"] += sum(len(s.steps) for s in series)
        return trial_ids

    # A group per size, all in the database at once, so that the sizes are read in turns:
    # on a shared machine the load drifts, and a size read a minute after another met
    # another load (ratios of 0.9x to 2x from run to run for the same code). So the
    # smaller sizes are read from tables that hold the larger ones too: the ratios measure
    # the series' length, not the tables' size. The last size's group is GROUP.
    groups: dict[int, tuple[str, list[int]]] = {}
    for target in STEPS:
        group = GROUP if target == STEPS[-1] else f"{GROUP}-{target}"
        groups[target] = (group, build(group, target))
    out["sizes"] = _timings(groups)
    out["bytes"] = _point_bytes()
    out["points"] = sum(len(ids) * len(METRICS) * target for target, (_, ids) in groups.items())
    return out


def _timings(
    groups: dict[int, tuple[str, list[int]]],
) -> dict[str, dict[str, tuple[float, float]]]:
    """Per size, the (wall, CPU) median seconds of the downsampled read of
    ``READ_TRIALS`` of its group's trials and of the curves of ``SELECTED`` of its
    experiments: every work once untimed, then ``ROUNDS`` rounds of each in turn (in one
    order, then the other)."""
    from plotly.io.json import to_json_plotly

    from kuro.dashboard import create_app
    from kuro.server.tracking.selectors import metric_history

    create_app()  # the pages register on the app
    from kuro.dashboard.pages import compare

    works: dict[tuple[int, str], Callable[[], Any]] = {}
    for target, (group, trial_ids) in groups.items():
        read_ids = trial_ids[:READ_TRIALS]

        def read(read_ids: list[int] = read_ids) -> None:
            history = metric_history(trial_ids=read_ids, max_points=1000)
            shown = sum(len(s["steps"]) for h in history for s in h["metrics"].values())
            assert shown <= len(read_ids) * len(METRICS) * 1000, shown

        data = compare.load_group(group, 0, 0)[0]
        selected = [{"id": e["id"]} for e in data["experiments"][:SELECTED]]

        def curves(selected: list[dict[str, Any]] = selected, data: Any = data) -> None:
            charts = compare.show_curves(
                selected, data, None, None, None, "mean", "std", 0.0, [], "step"
            )
            to_json_plotly(charts)

        works[target, "read"] = read
        works[target, "curves"] = curves
        if target == 1000:

            def full(read_ids: list[int] = read_ids) -> None:
                history = metric_history(trial_ids=read_ids, metrics=[METRICS[0][0]])
                got = sum(len(s["steps"]) for h in history for s in h["metrics"].values())
                assert got == len(read_ids) * 1000, got

            works[target, "full"] = full
    clocks: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
    for key, call in works.items():
        call()
        clocks[key] = ([], [])
    order = list(works)
    for round_ in range(ROUNDS):
        for key in order if round_ % 2 == 0 else order[::-1]:
            started, started_cpu = time.perf_counter(), time.process_time()
            works[key]()
            clocks[key][0].append(time.perf_counter() - started)
            clocks[key][1].append(time.process_time() - started_cpu)
    sizes: dict[str, dict[str, tuple[float, float]]] = {}
    for (target, name), (wall, cpu) in clocks.items():
        sizes.setdefault(str(target), {})[name] = (
            statistics.median(wall),
            statistics.median(cpu),
        )
    return sizes


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
    sizes = got["sizes"]
    if "full" in sizes.get("1000", {}):
        wall, cpu = sizes["1000"]["full"]
        target = f"(target <= {TARGET_FULL_READ:g} s)"
        name = f"{label}: full read, {READ_TRIALS} trials x 1,000 steps, in process"
        figure(name, wall, "s", target)
        figure(f"{name}, CPU", cpu, "s", target)
    first = str(STEPS[0])
    n_trials = EXPERIMENTS * TRIALS
    what = {
        "read": f"read {READ_TRIALS} trials, max_points=1000",
        "curves": f"curves of {SELECTED} experiments, mean ± std",
    }
    for work, text in what.items():
        for clock, index in (("", 0), (", CPU", 1)):
            for steps, timings in sizes.items():
                points = n_trials * len(METRICS) * int(steps)
                figure(
                    f"{label}: {text}, {points / 1e6:g}M points{clock}",
                    timings[work][index],
                    "s",
                    f"(target <= {TARGET_SECONDS:g} s)" if int(steps) == 10000 else "",
                )
            for steps, timings in sizes.items():
                if steps != first:
                    ratio(
                        f"{label}: {work} at {int(steps):,} / at {int(first):,} steps{clock}",
                        timings[work][index],
                        sizes[first][work][index],
                        f"<= {TARGET_RATIO:g}" if int(steps) == 10000 else "",
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
