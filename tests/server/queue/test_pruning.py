"""Pruning verdicts: Optuna's pruner over a sweep's runs, in a fixed number of queries."""

from __future__ import annotations

import math

import pytest

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
