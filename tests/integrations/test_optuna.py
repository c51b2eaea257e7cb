"""KuroCallback for Optuna: a real study, run by the user, into a real server."""

from __future__ import annotations

import optuna
import pytest

from kuro.integrations.optuna import KuroCallback
from tests.integrations.conftest import points

pytestmark = pytest.mark.live


@pytest.fixture(autouse=True)
def _quiet_optuna():
    """Optuna logs each trial at INFO; the tests read the server instead."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    yield
    optuna.logging.set_verbosity(level)


def objective(trial: optuna.Trial) -> float:
    """Three intermediate values; trial 2 is pruned, trial 3 fails."""
    x = trial.suggest_float("x", -1.0, 1.0)
    for step in range(3):
        trial.report(x * (step + 1), step)
    if trial.number == 2:
        raise optuna.TrialPruned
    if trial.number == 3:
        raise ValueError("the objective broke")
    return x * 3


def test_each_optuna_trial_is_a_kuro_trial_of_its_setting(worker, api, group):
    """Each finished trial: an experiment named by its parameters, its value and its
    intermediate values as metrics with the study's direction, its state mapped."""
    study = optuna.create_study(
        study_name="toy", direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0)
    )
    callback = KuroCallback(group, worker=worker, hyper_parameters={"space": "x"})
    study.optimize(objective, n_trials=4, callbacks=[callback], catch=(ValueError,))
    assert worker.flush()
    trials = {t["hyper_parameters"]["x"]: t for t in api.trials(group)}
    assert len(trials) == 4 and {t["number"] for t in trials.values()} == {0}
    assert {t["identifier"] for t in trials.values()} == {"toy"}
    status = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}
    for frozen in study.trials:
        x = frozen.params["x"]
        kuro_trial = trials[x]
        assert kuro_trial["hyper_parameters"] == {"x": x, "space": "x"}
        assert kuro_trial["status"] == status[frozen.state.name]
        want = {"value_intermediate": dict(frozen.intermediate_values)}
        if frozen.value is not None:
            want["value"] = {0: frozen.value}
        assert points(api, kuro_trial["id"]) == want
    failed = trials[study.trials[3].params["x"]]
    assert failed["error"].startswith("Optuna trial 3")
    assert api.metrics(group) == {"value": "max", "value_intermediate": "max"}


def test_several_objectives_are_several_metrics(worker, api, group):
    """A two-objective study: ``value_0`` (minimize) and ``value_1`` (maximize)."""
    study = optuna.create_study(
        directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def two(trial: optuna.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        return x, 1 - x

    study.optimize(two, n_trials=2, callbacks=[KuroCallback(group, worker=worker)])
    assert worker.flush()
    for frozen in study.trials:
        (kuro_trial,) = [
            t for t in api.trials(group) if t["hyper_parameters"] == {"x": frozen.params["x"]}
        ]
        assert points(api, kuro_trial["id"]) == {
            "value_0": {0: frozen.values[0]},
            "value_1": {0: frozen.values[1]},
        }
    assert api.metrics(group) == {"value_0": "min", "value_1": "max"}


def test_a_setting_sampled_again_beyond_n_trials_is_left_out_with_a_warning(worker, api, group):
    """Each setting's experiment takes ``n_trials`` trials; one more is not recorded."""
    study = optuna.create_study()

    def constant(trial: optuna.Trial) -> float:
        return float(trial.suggest_categorical("k", [1]))

    callback = KuroCallback(group, worker=worker, n_trials=2, metric_name="loss")
    study.optimize(constant, n_trials=2, callbacks=[callback])
    with pytest.warns(RuntimeWarning, match="Optuna trial 2 is not recorded"):
        study.optimize(constant, n_trials=1, callbacks=[callback])
    assert worker.flush()
    assert [t["number"] for t in api.trials(group)] == [0, 1]
    assert api.metrics(group) == {"loss": "min"}
