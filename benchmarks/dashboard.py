"""Issue 4: the dashboard's server work for a large group, at two sizes.

A fresh SQLite database in a temporary KURO_DATA_DIR holds two groups made through the
services, with points inserted raw (the ingest path has its own benchmark):

- ``bench-3m``: 200 experiments x 5 trials x 3 metrics x 1,000 steps (3,000,000 points)
- ``bench-300k``: 20 experiments x 5 trials x 3 metrics x 1,000 steps (300,000 points)

Every trial ends complete, so the comparison has values: each setting is described and
tested against the leader (Welch's test, the probability of improvement, and a power
analysis where they are not separated), as on a finished sweep.

For each it times what the compare page's callbacks do on the server, output serialized
to JSON as Dash sends it: *open the group* (read the group with its per-trial summaries, the
experiment table, the comparison of every setting on every metric, the verdicts and forest
charts, the aggregates, the trials table, the JSON preview and the parallel-coordinates
chart: the first view and what the page builds after it) and *draw the curves of 20
selected experiments in mean mode* (the downsampled histories of their 100 trials and the
mean ± std figures). The baseline of each is the same work at one tenth of
the size: growth below 10x is sub-linear.
"""

from __future__ import annotations

import math
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from benchmarks.report import figure, ratio

EXPERIMENTS = int(os.environ.get("KURO_BENCH_DASH_EXPERIMENTS", "200"))
TRIALS = 5
METRICS = (("train_loss", "min"), ("val_loss", "min"), ("val_acc", "max"))
STEPS = 1000
SELECTED = 20
REPEATS = 3


def _setup_django(data_dir: str) -> None:
    os.environ["KURO_DATA_DIR"] = data_dir
    database_url = os.environ.pop("KURO_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuro.server.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if database_url is not None:  # settings are read: later benchmarks may use PostgreSQL
        os.environ["KURO_DATABASE_URL"] = database_url


def _make_group(name: str, n_experiments: int) -> None:
    from kuro.server.tracking.services import (
        PointSeries,
        experiment_get_or_create,
        points_ingest,
        trial_acquire,
        trial_end,
        worker_register,
    )

    workers = [worker_register(name=f"bench-worker-{k}").name for k in range(TRIALS)]
    rng = random.Random(name)
    trial_ids = []
    for e in range(n_experiments):
        experiment = experiment_get_or_create(
            group=name,
            identifier=f"model{e % 4}",
            hyper_parameters={"lr": 10 ** -(1 + e % 5), "width": 64 * (1 + e % 3), "seed": e},
            n_trials=TRIALS,
            metrics=METRICS,
        )
        # One worker per trial: a worker asking again would resume its running trial.
        for worker in workers:
            trial_ids.append(trial_acquire(experiment_id=experiment.pk, worker=worker).pk)
    # Through the one write path, so the per-(trial, metric) summaries are kept as in use.
    now = time.time()
    for trial_id in trial_ids:
        series = []
        for metric, _ in METRICS:
            floor = rng.uniform(0.05, 0.5)
            values = [floor + math.exp(-step / 200) + rng.gauss(0, 0.02) for step in range(STEPS)]
            series.append(
                PointSeries(
                    trial_id=trial_id,
                    metric=metric,
                    steps=list(range(STEPS)),
                    values=values,
                    times=[now + step for step in range(STEPS)],
                )
            )
        points_ingest(series=series)
        trial_end(trial_id=trial_id, status="complete")


def _median_seconds(work: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _timings(group: str) -> tuple[float, float, float, float]:
    """Seconds to open the group, to draw 20 experiments' curves, to read the group, and to
    compare its settings on every metric."""
    from plotly.io.json import to_json_plotly

    from kuro.dashboard import create_app
    from kuro.server.tracking import selectors

    create_app()  # the pages register on the app
    from kuro.dashboard.pages import compare

    def open_group() -> dict[str, Any]:
        data, *rest = compare.load_group(group, 0, 0)
        comparison, _ = compare.load_comparison(data, "best", None)
        out = [
            rest,
            compare.show_experiments(data, None),
            compare.show_selection(None, data, comparison, None),
            compare.aggregate_grid(None, data, comparison, None),
            compare.trial_grid(None, data),
            compare.show_json(None, data),
            compare.show_parallel(data, data["metrics"][0]["name"]),
        ]
        to_json_plotly([data, out])
        return data

    data = open_group()
    selected = [{"id": e["id"]} for e in data["experiments"][:SELECTED]]

    def curves() -> None:
        charts = compare.show_curves(
            selected, data, None, None, None, "mean", "std", 0.0, [], "step"
        )
        to_json_plotly(charts)

    return (
        _median_seconds(open_group),
        _median_seconds(curves),
        _median_seconds(lambda: selectors.group_experiments(group=group)),
        _median_seconds(lambda: compare.load_comparison(data, "best", None)),
    )


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _setup_django(tmp)
        started = time.perf_counter()
        small, large = "bench-300k", "bench-3m"
        _make_group(small, EXPERIMENTS // 10)
        _make_group(large, EXPERIMENTS)
        points = EXPERIMENTS * TRIALS * len(METRICS) * STEPS
        figure(
            f"generate {points + points // 10:,} points (through points_ingest, trial_end)",
            time.perf_counter() - started,
            "s",
        )
        small_open, small_curves, small_read, small_compare = _timings(small)
        large_open, large_curves, large_read, large_compare = _timings(large)
    figure(f"open the group page, {points // 10:,} points", small_open, "s")
    figure(f"open the group page, {points:,} points", large_open, "s", "(target < 1.5 s)")
    figure(f"  of which group_experiments (summaries), {points // 10:,}", small_read, "s")
    figure(f"  of which group_experiments (summaries), {points:,}", large_read, "s")
    figure(f"  of which the comparison (3 metrics), {points // 10:,}", small_compare, "s")
    figure(f"  of which the comparison (3 metrics), {points:,}", large_compare, "s")
    ratio("open the group page, 10x the points", large_open, small_open, "< 10: sub-linear")
    figure(f"curves of {SELECTED} experiments, mean mode, {points // 10:,}", small_curves, "s")
    figure(
        f"curves of {SELECTED} experiments, mean mode, {points:,}",
        large_curves,
        "s",
        "(target < 1.5 s)",
    )
    ratio("curves of 20 experiments, group 10x larger", large_curves, small_curves, "about 1")
