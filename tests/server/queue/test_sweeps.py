"""Sweeps: Optuna's samplers propose configurations, finished ones are scored and told."""

from __future__ import annotations

import pytest

from kuro.core.errors import InvalidInput
from kuro.server.queue.models import Sweep, SweepConfig
from kuro.server.queue.selectors import prune_flags, sweep_detail, sweep_importance
from kuro.server.queue.services import sweep_ask, sweep_create, sweep_reconcile, work_claim
from kuro.server.tracking.models import Metric
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_end,
)

pytestmark = pytest.mark.django_db

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "layers": {"type": "int", "low": 1, "high": 4},
    "act": {"type": "categorical", "choices": ["relu", "tanh"]},
}


def _run(trial, values, metric="acc", status="complete"):
    points_ingest(
        series=[
            PointSeries(
                trial_id=trial.pk, metric=metric, steps=list(range(len(values))), values=values
            )
        ]
    )
    trial_end(trial_id=trial.pk, status=status)


def test_ask_queues_n_trials_of_a_sampled_configuration():
    """A claim on an empty sweep asks the sampler and queues the configuration's repeats."""
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective="acc",
        max_configs=5,
        n_trials=3,
        seed=1,
        fixed={"epochs": 2},
    )
    trial = work_claim(worker="w", sweep_id=sweep.pk)
    hp = trial.experiment.hyper_parameters
    assert set(hp) == {"lr", "layers", "act", "epochs"} and hp["epochs"] == 2
    assert 1e-4 <= hp["lr"] <= 1e-1 and hp["act"] in ("relu", "tanh")
    assert trial.experiment.trials.filter(status="queued").count() == 2


def test_sweep_stops_at_max_configs_and_finishes():
    """After max_configs configurations are done, claims answer None and the sweep finishes."""
    sweep = sweep_create(
        group="g", identifier="m", space=SPACE, objective="acc", max_configs=2, seed=3
    )
    for i in range(2):
        _run(work_claim(worker="w", sweep_id=sweep.pk), [0.1 * (i + 1)])
    assert work_claim(worker="w", sweep_id=sweep.pk) is None
    sweep.refresh_from_db()
    assert sweep.status == Sweep.Status.FINISHED


def test_config_score_is_mean_of_repeats_best_values():
    """A configuration's value is the mean over its complete trials of each best value."""
    sweep = sweep_create(
        group="g", identifier="m", space=SPACE, objective="acc", max_configs=3, n_trials=2, seed=5
    )
    a = work_claim(worker="w", sweep_id=sweep.pk)
    b = work_claim(worker="w", sweep_id=sweep.pk)
    _run(a, [0.2, 0.8, 0.5])
    _run(b, [0.4, 0.6])
    sweep_reconcile(sweep=sweep)
    config = SweepConfig.objects.get(sweep=sweep, number=0)
    assert config.state == "complete" and config.value == pytest.approx(0.7)
    detail = sweep_detail(sweep_id=sweep.pk)
    assert detail["best"]["mean"] == pytest.approx(0.7)
    assert detail["best"]["std"] == pytest.approx(0.1414213, rel=1e-4)
    assert detail["status_counts"] == {"complete": 2}


def test_grid_sampler_visits_every_point_once():
    """A grid sweep proposes each grid point exactly once, then stops."""
    space = {
        "a": {"type": "categorical", "choices": [1, 2, 3]},
        "b": {"type": "int", "low": 0, "high": 1},
    }
    sweep = sweep_create(
        group="g", identifier="grid", space=space, objective="loss", sampler="grid"
    )
    assert sweep.max_configs == 6
    seen = []
    while (trial := work_claim(worker="w", sweep_id=sweep.pk)) is not None:
        hp = trial.experiment.hyper_parameters
        seen.append((hp["a"], hp["b"]))
        _run(trial, [float(hp["a"] + hp["b"])], metric="loss")
    assert sorted(seen) == [(a, b) for a in (1, 2, 3) for b in (0, 1)]


def test_state_lives_in_the_database():
    """Configurations proposed after a 'restart' (a fresh study from the rows) are new ones."""
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective="acc",
        max_configs=6,
        seed=11,
        sampler="random",
    )
    params = []
    for _ in range(6):
        config = sweep_ask(sweep=Sweep.objects.get(pk=sweep.pk))
        params.append(tuple(sorted(config.params.items())))
    assert len(set(params)) == 6
    assert sweep_ask(sweep=sweep) is None


def test_cmaes_keeps_sampler_state_in_configs():
    """CMA-ES runs through Optuna, its proposals within the space."""
    space = {
        "x": {"type": "float", "low": -5, "high": 5},
        "y": {"type": "float", "low": -5, "high": 5},
    }
    sweep = sweep_create(
        group="g",
        identifier="cma",
        space=space,
        objective="loss",
        max_configs=8,
        sampler="cmaes",
        seed=2,
    )
    for _ in range(8):
        trial = work_claim(worker="w", sweep_id=sweep.pk)
        hp = trial.experiment.hyper_parameters
        assert -5 <= hp["x"] <= 5 and -5 <= hp["y"] <= 5
        _run(trial, [hp["x"] ** 2 + hp["y"] ** 2], metric="loss")
    sweep_reconcile(sweep=sweep)
    assert SweepConfig.objects.filter(sweep=sweep, state="complete").count() == 8


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"space": {}}, "space"),
        ({"space": {"lr": {"type": "float", "low": 1, "high": 0}}}, "space.lr"),
        ({"space": {"lr": {"type": "float", "low": 0, "high": 1, "log": True}}}, "space.lr"),
        ({"space": {"x": {"type": "categorical", "choices": []}}}, "space.x"),
        ({"sampler": "annealing"}, "sampler"),
        ({"pruner": "always"}, "pruner"),
        ({"sampler": "grid", "space": {"lr": {"type": "float", "low": 0, "high": 1}}}, "space.lr"),
        ({"max_configs": None}, "max_configs"),
        ({"pruner": "median", "pruner_options": {"bogus": 1}}, "pruner_options"),
    ],
)
def test_bad_sweep_specs_name_the_field(kwargs, field):
    """Each mistake in a sweep spec is an InvalidInput naming its field."""
    spec = {"group": "g", "identifier": "m", "space": SPACE, "objective": "acc", "max_configs": 3}
    with pytest.raises(InvalidInput) as info:
        sweep_create(**{**spec, **kwargs})
    assert info.value.field == field


def test_median_pruner_stops_a_clearly_worse_run():
    """Optuna's median pruner flags a run far below the finished runs at the same steps."""
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective="acc",
        max_configs=20,
        seed=4,
        pruner="median",
        pruner_options={"n_startup_trials": 2, "n_warmup_steps": 1},
    )
    for _ in range(3):
        _run(work_claim(worker="w", sweep_id=sweep.pk), [0.5, 0.6, 0.7, 0.8])
    good = work_claim(worker="w", sweep_id=sweep.pk)
    bad = work_claim(worker="w", sweep_id=sweep.pk)
    for trial, values in ((good, [0.5, 0.65, 0.75]), (bad, [0.1, 0.1, 0.1])):
        points_ingest(
            series=[PointSeries(trial_id=trial.pk, metric="acc", steps=[0, 1, 2], values=values)]
        )
    assert prune_flags(trial_ids=[good.pk, bad.pk]) == [bad.pk]


def test_importance_ranks_the_parameter_that_matters():
    """fANOVA importances put the parameter that drives the objective first."""
    sweep = sweep_create(
        group="g",
        identifier="m",
        space=SPACE,
        objective="acc",
        max_configs=12,
        seed=8,
        sampler="random",
    )
    for _ in range(12):
        trial = work_claim(worker="w", sweep_id=sweep.pk)
        hp = trial.experiment.hyper_parameters
        _run(trial, [hp["layers"] / 4 + (0.001 if hp["act"] == "relu" else 0)])
    sweep_reconcile(sweep=sweep)
    importance = sweep_importance(sweep_id=sweep.pk)
    assert max(importance, key=importance.get) == "layers"


def test_an_objective_the_group_does_not_report_is_refused(api):
    """A typo of a metric (tset_acc) is a 422 naming objective, with the close names;
    nothing is created."""
    experiment_get_or_create(
        group="typo", identifier="m", metrics=[("test_acc", "max"), ("test_loss", "min")]
    )
    spec = {"group": "typo", "identifier": "m", "space": SPACE, "max_configs": 2}
    status, body = api.post("/sweeps", {**spec, "objective": "tset_acc"})
    assert status == 422 and body["detail"]["field"] == "objective"
    assert body["detail"]["suggestions"][0] == "test_acc" and "test_acc" in body["message"]
    assert not Sweep.objects.exists()
    assert not Metric.objects.filter(name="tset_acc").exists()


def test_a_new_objective_declared_with_its_mode_is_accepted(api):
    """Declaring the metric with its mode creates it: a sweep on a metric not yet reported."""
    experiment_get_or_create(group="typo", identifier="m", metrics=[("test_acc", "max")])
    spec = {"group": "typo", "identifier": "m", "space": SPACE, "max_configs": 2}
    status, body = api.post("/sweeps", {**spec, "objective": "val_f1", "mode": "max"})
    assert status == 200, body
    status, body = api.post("/sweeps", {**spec, "objective": "test_acc"})
    assert status == 200, body
