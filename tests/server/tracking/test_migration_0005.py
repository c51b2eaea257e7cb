"""Migrations 0005-0006 move a database made by the ``Point`` schema into chunks, exactly."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from kuro.server.tracking.chunks import CHUNK_POINTS
from kuro.server.tracking.selectors import metric_history, trial_summaries

BEFORE = [("tracking", "0004_trial_context")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


def _series(n: int, seed: int) -> list[tuple[int, float | None, float]]:
    """(step, value as the Point table held it: NULL for NaN, time); steps with gaps, as
    rewritten and late steps leave them."""
    rows = []
    for i in range(n):
        step = 3 * i + (i % 7 == 0)
        value = None if i % 97 == 5 else math.sin(i * seed) * 10
        if i == n // 2:
            value = math.inf
        if i == n // 3:
            value = -math.inf
        rows.append((step, value, 1.7e9 + i * 0.1 + seed))
    return rows


def _old_database():
    """Groups, trials, points and their summaries written with the 0004 schema."""
    apps = _migrate(BEFORE).loader.project_state(BEFORE).apps
    Group, Metric, Experiment, Trial, Point, Summary = (
        apps.get_model("tracking", name)
        for name in ("Group", "Metric", "Experiment", "Trial", "Point", "Summary")
    )
    group = Group.objects.create(name="old")
    loss = Metric.objects.create(group=group, name="loss", mode="min")
    acc = Metric.objects.create(group=group, name="acc", mode="max")
    experiment = Experiment.objects.create(group=group, identifier="e", hyper_parameters_key="k")
    expected = {}
    for number, (n_loss, n_acc) in enumerate([(2 * CHUNK_POINTS + 17, 3), (1, 0)]):
        trial = Trial.objects.create(experiment=experiment, number=number, status="complete")
        for metric, n in ((loss, n_loss), (acc, n_acc)):
            rows = _series(n, seed=trial.pk * 10 + metric.pk)
            if not rows:
                continue
            Point.objects.bulk_create(
                Point(trial=trial, metric=metric, step=s, value=v, time=t) for s, v, t in rows
            )
            real = [v for _, v, _ in rows if v is not None]
            Summary.objects.create(
                trial=trial,
                metric=metric,
                count=len(rows),
                min_value=min(real, default=None),
                max_value=max(real, default=None),
                last_step=rows[-1][0],
                last_value=rows[-1][1],
            )
            expected[(trial.pk, metric.name)] = rows
    return expected


def _same(a: float, b: float | None) -> bool:
    return math.isnan(a) if b is None or math.isnan(b) else a == b


def _assert_history(expected):
    trial_ids = sorted({t for t, _ in expected})
    for history in metric_history(trial_ids=trial_ids):
        for name, s in history["metrics"].items():
            rows = expected.pop((history["trial_id"], name))
            assert s["steps"] == [r[0] for r in rows]
            assert [None if math.isnan(v) else v for v in s["values"]] == [r[1] for r in rows]
            assert s["times"] == [r[2] for r in rows]
    assert expected == {}


@pytest.mark.django_db(transaction=True)
def test_points_become_chunks_and_back():
    """Every point (NaN, infinities, gaps) reads back exactly after 0005-0006; summaries
    stay equal to the points; going back to 0004 restores the Point rows."""
    try:
        expected = _old_database()
        _migrate(None)
        _assert_history(dict(expected))
        summaries = trial_summaries(trial_ids={t for t, _ in expected})
        for (trial_id, name), rows in expected.items():
            real = [v for _, v, _ in rows if v is not None]
            best = (min if name == "loss" else max)(real, default=math.nan)
            got = summaries[trial_id][name]
            assert (got["count"], got["last_step"]) == (len(rows), rows[-1][0])
            assert _same(got["best"], best) and _same(got["last"], rows[-1][1])
        apps = _migrate(BEFORE).loader.project_state(BEFORE).apps
        Point = apps.get_model("tracking", "Point")
        for (trial_id, name), rows in expected.items():
            got = Point.objects.filter(trial_id=trial_id, metric__name=name).order_by("step")
            assert list(got.values_list("step", "value", "time")) == rows
    finally:
        _migrate(None)
