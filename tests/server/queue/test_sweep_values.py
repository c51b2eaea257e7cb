"""Sweeps over float values: ±infinity is a value that counts, NaN is no value."""

from __future__ import annotations

import math

import pytest

from kuro.server.queue.models import SweepConfig
from kuro.server.queue.selectors import sweep_detail, sweep_importance
from kuro.server.queue.services import sweep_ask, sweep_create, sweep_reconcile, work_claim
from kuro.server.tracking.services import PointSeries, points_ingest, trial_end

pytestmark = pytest.mark.django_db

SPACE = {"x": {"type": "float", "low": -5, "high": 5}}


def _run(trial, values: list[float], metric: str) -> None:
    points_ingest(
        series=[
            PointSeries(
                trial_id=trial.pk, metric=metric, steps=list(range(len(values))), values=values
            )
        ]
    )
    trial_end(trial_id=trial.pk, status="complete")


def _sweep(objective: str, values: list[list[float]], *, sampler: str = "random", **kwargs):
    """A sweep of one-trial configurations, each run with one list of ``values``."""
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective=objective,
        max_configs=len(values) + 2,
        seed=1,
        sampler=sampler,
        **kwargs,
    )
    for series in values:
        _run(work_claim(worker="w", sweep_id=sweep.pk), series, objective)
    sweep_reconcile(sweep=sweep)
    return sweep


def test_minus_infinity_is_the_best_of_a_min_objective():
    """A configuration whose best loss is -inf is scored -inf (not dropped) and is the best."""
    sweep = _sweep("loss", [[1.0, 0.5], [2.0, -math.inf], [0.1]])
    config = SweepConfig.objects.get(sweep=sweep, number=1)
    assert config.state == "complete" and config.value == -math.inf
    detail = sweep_detail(sweep_id=sweep.pk)
    assert detail["best"]["number"] == 1
    assert detail["best"]["mean"] == -math.inf and detail["best"]["n_complete"] == 1


def test_plus_infinity_is_scored_and_told_to_the_sampler():
    """A +inf best under 'max' is scored, and the sampler asked next takes it (Optuna
    accepts infinities; only NaN it refuses)."""
    sweep = _sweep("acc", [[0.2, math.inf], [0.9]], sampler="tpe")
    assert SweepConfig.objects.get(sweep=sweep, number=0).value == math.inf
    assert sweep_detail(sweep_id=sweep.pk)["best"]["number"] == 0
    assert sweep_ask(sweep=sweep) is not None


def test_cmaes_takes_an_infinite_value():
    """CMA-ES rebuilt over a configuration scored +inf still proposes within the space."""
    sweep = _sweep("loss", [[math.inf], [1.0], [2.0]], sampler="cmaes")
    config = sweep_ask(sweep=sweep)
    assert config is not None and -5 <= config.params["x"] <= 5


def test_nan_only_configuration_has_no_value():
    """A configuration whose trials saw only NaN is failed, without a value or a mean, and
    never the best."""
    sweep = _sweep("loss", [[math.nan, math.nan], [3.0]])
    config = SweepConfig.objects.get(sweep=sweep, number=0)
    assert config.state == "failed" and config.value is None
    detail = sweep_detail(sweep_id=sweep.pk)
    row = detail["configs"][0]
    assert row["mean"] is None and row["std"] is None and row["n_complete"] == 0
    assert detail["best"]["number"] == 1


def test_nan_points_are_left_out_of_a_best():
    """NaN points beside numbers do not make the best NaN."""
    sweep = _sweep("loss", [[math.nan, 0.25, math.nan]])
    assert SweepConfig.objects.get(sweep=sweep, number=0).value == 0.25


def test_importance_skips_infinite_values():
    """Importances are computed over the finite values only; with fewer than two, none."""
    sweep = _sweep("loss", [[math.inf], [1.0]])
    assert sweep_importance(sweep_id=sweep.pk) == {}


def test_api_writes_infinities_as_wire_strings(api):
    """The sweep's answer on the wire carries -inf as "-Infinity", never null."""
    sweep = _sweep("loss", [[-math.inf], [1.0]])
    status, body = api.get(f"/sweeps/{sweep.pk}")
    assert status == 200, body
    assert body["best"]["value"] == "-Infinity" and body["best"]["mean"] == "-Infinity"
    assert body["configs"][1]["value"] == 1.0
