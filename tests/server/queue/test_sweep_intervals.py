"""Each configuration's mean with its 95% interval (Student t, as on the compare page)."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from kuro.server.queue.scoring import config_statistics
from kuro.server.queue.selectors import sweep_detail
from kuro.server.queue.services import sweep_create, sweep_reconcile, work_claim
from kuro.server.tracking.services import PointSeries, points_ingest, trial_end

pytestmark = pytest.mark.django_db

SPACE = {"x": {"type": "float", "low": -5, "high": 5}}


def _scipy_interval(values: list[float]) -> tuple[float, float]:
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=stats.tmean(values), scale=stats.sem(values)
    )
    return float(low), float(high)


def _sweep(bests: list[list[float]], *, n_trials: int):
    """A sweep whose configurations' trials end with these best losses, one list each."""
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective="loss",
        max_configs=len(bests),
        n_trials=n_trials,
        seed=1,
        sampler="random",
    )
    for values in bests:
        for value in values:
            trial = work_claim(worker="w", sweep_id=sweep.pk)
            points_ingest(
                series=[PointSeries(trial_id=trial.pk, metric="loss", steps=[0], values=[value])]
            )
            trial_end(trial_id=trial.pk, status="complete")
    sweep_reconcile(sweep=sweep)
    return sweep


@pytest.mark.parametrize("values", [[0.5, 0.7], [0.31, 0.29, 0.35, 0.4], [1.0, 1.0, 1.0]])
def test_statistics_interval_is_scipys(values):
    """The interval is scipy.stats.t.interval over the per-trial values; the mean is theirs."""
    summary = config_statistics(values)
    low, high = _scipy_interval(values) if len(set(values)) > 1 else (values[0], values[0])
    assert summary.n == len(values) and summary.mean == pytest.approx(sum(values) / len(values))
    assert (summary.ci_low, summary.ci_high) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize("values", [[0.5], [-math.inf, 1.0], [math.inf]])
def test_no_interval_from_one_value_or_beside_an_infinity(values):
    """One value has no spread, an infinity no finite mean: the interval is NaN."""
    summary = config_statistics(values)
    assert math.isnan(summary.ci_low) and math.isnan(summary.ci_high)


def test_sweep_detail_gives_each_configuration_its_interval():
    """A configuration's interval matches scipy's on its trials' best values, and the value
    told to the sampler stays the mean."""
    bests = [[0.5, 0.7, 0.65], [0.2, 0.4, 0.25]]
    sweep = _sweep(bests, n_trials=3)
    detail = sweep_detail(sweep_id=sweep.pk)
    for row, values in zip(detail["configs"], bests, strict=True):
        low, high = _scipy_interval(values)
        assert row["n_complete"] == 3 and row["value"] == pytest.approx(sum(values) / 3)
        assert row["ci_low"] == pytest.approx(low) and row["ci_high"] == pytest.approx(high)
        assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert detail["best"] == detail["configs"][1]


def test_single_trial_configuration_has_no_interval():
    """One complete trial: a mean, and a NaN interval (the page shows a dash)."""
    sweep = _sweep([[0.5]], n_trials=1)
    (row,) = sweep_detail(sweep_id=sweep.pk)["configs"]
    assert row["mean"] == 0.5 and row["n_complete"] == 1
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])


def test_configuration_without_a_complete_trial_has_no_interval():
    """Before any trial completes there is no mean and no interval: None, like the mean."""
    sweep = sweep_create(
        group="g", identifier="m", space=SPACE, objective="loss", max_configs=1, seed=1
    )
    work_claim(worker="w", sweep_id=sweep.pk)
    (row,) = sweep_detail(sweep_id=sweep.pk)["configs"]
    assert row["mean"] is None and row["ci_low"] is None and row["ci_high"] is None


def test_api_answers_the_interval_in_wire_form(api):
    """GET /sweeps/{id} carries the interval as numbers, and NaN as "NaN" (never null) for
    a single-trial configuration."""
    two = _sweep([[0.5, 0.7]], n_trials=2)
    status, body = api.get(f"/sweeps/{two.pk}")
    assert status == 200, body
    (config,) = body["configs"]
    low, high = _scipy_interval([0.5, 0.7])
    assert config["ci_low"] == pytest.approx(low) and config["ci_high"] == pytest.approx(high)
    assert body["best"]["ci_low"] == config["ci_low"]
    one = _sweep([[0.5]], n_trials=1)
    status, body = api.get(f"/sweeps/{one.pk}")
    assert status == 200, body
    assert body["configs"][0]["ci_low"] == "NaN" and body["configs"][0]["ci_high"] == "NaN"
    assert body["configs"][0]["mean"] == 0.5
