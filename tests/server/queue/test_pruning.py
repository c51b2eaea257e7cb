"""Pruning verdicts: Optuna's pruner over a sweep's runs, in a fixed number of queries."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kuro.server.queue.selectors import prune_flags
from kuro.server.queue.services import sweep_create, work_claim
from kuro.server.tracking.services import PointSeries, points_ingest, trial_end

pytestmark = pytest.mark.django_db

SPACE = {"x": {"type": "float", "low": 0, "high": 1}}


def _points(trial, values: list[float]) -> None:
    points_ingest(
        series=[
            PointSeries(
                trial_id=trial.pk, metric="acc", steps=list(range(len(values))), values=values
            )
        ]
    )


def _median_sweep(n_finished: int = 3):
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective="acc",
        max_configs=500,
        seed=4,
        pruner="median",
        pruner_options={"n_startup_trials": 2, "n_warmup_steps": 1},
    )
    for _ in range(n_finished):
        trial = work_claim(worker="w", sweep_id=sweep.pk)
        _points(trial, [0.5, 0.6, 0.7, 0.8])
        trial_end(trial_id=trial.pk, status="complete")
    return sweep


def _running(sweep, n: int, values: list[float]) -> list[int]:
    ids = []
    for _ in range(n):
        trial = work_claim(worker="w", sweep_id=sweep.pk)
        _points(trial, values)
        ids.append(trial.pk)
    return ids


@pytest.mark.parametrize("n_running", [2, 40])
def test_prune_flags_reads_in_a_fixed_number_of_queries(n_running, django_assert_max_num_queries):
    """Verdicts on many running trials cost as many queries as verdicts on two."""
    sweep = _median_sweep()
    bad = _running(sweep, n_running, [0.1, 0.1, 0.1])
    with django_assert_max_num_queries(4):
        assert prune_flags(trial_ids=bad) == bad


def test_minus_infinity_counts_as_a_value():
    """A run at -inf under 'max' is far below the median: pruned, not ignored."""
    sweep = _median_sweep()
    good, bad = _running(sweep, 1, [0.5, 0.65, 0.75]) + _running(sweep, 1, [0.5, -math.inf])
    assert prune_flags(trial_ids=[good, bad]) == [bad]


def test_nan_points_are_not_values():
    """A run that reported only NaN has nothing to judge: it is not pruned."""
    sweep = _median_sweep()
    (nan_run,) = _running(sweep, 1, [math.nan, math.nan, math.nan])
    assert prune_flags(trial_ids=[nan_run]) == []


def test_no_pruner_no_verdict():
    """Trials outside a sweep with a pruner are never flagged."""
    sweep = sweep_create(group="g", identifier="m", space=SPACE, objective="acc", max_configs=2)
    (trial,) = _running(sweep, 1, [0.1])
    assert prune_flags(trial_ids=[trial]) == [] and prune_flags(trial_ids=[]) == []


def test_the_points_answer_names_the_trials_to_prune(api):
    """``POST /points`` answers the verdicts on the batch's trials, read with the batch."""
    sweep = _median_sweep()
    good, bad = _running(sweep, 1, [0.5, 0.65]) + _running(sweep, 1, [0.1, 0.1])
    series = [{"trial_id": t, "metric": "acc", "steps": [2], "values": [v]} for t, v in
              ((good, 0.75), (bad, 0.1))]  # fmt: skip
    body = {"batch_id": "b-1", "series": series}
    assert api.post("/points", body) == (200, {"n_points": 2, "duplicate": False, "prune": [bad]})
    resent = {"n_points": 0, "duplicate": True, "prune": []}
    assert api.post("/points", body) == (200, resent)


def test_a_batch_reads_its_prune_candidates_before_its_commit(api):
    """Outside a sweep with a pruner, nothing is read for the verdict after the batch's
    commit: the candidates came with the batch's own reads."""
    sweep = sweep_create(group="g", identifier="m", space=SPACE, objective="acc", max_configs=2)
    (trial,) = _running(sweep, 1, [0.1])
    body = {"series": [{"trial_id": trial, "metric": "acc", "steps": [5], "values": [0.2]}]}
    api.post("/points", body)  # the process's first batch may prune old batch ids after it
    with CaptureQueriesContext(connection) as queries:
        assert api.post("/points", body)[1]["prune"] == []
    sql = [q["sql"] for q in queries.captured_queries]
    # The batch's transaction ends with a COMMIT, or inside the test's with a RELEASE.
    ends = ("COMMIT", "RELEASE SAVEPOINT")
    commit = max(i for i, text in enumerate(sql) if any(e in text.upper() for e in ends))
    assert any("queue_sweepconfig" in text for text in sql[: commit + 1]), sql
    assert sql[commit + 1 :] == []
