"""KuroCallback for LightGBM: real boosting on CPU into a real server."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from kuro.integrations.lightgbm import KuroCallback
from tests.integrations.conftest import only_trial, points

pytestmark = pytest.mark.live

PARAMS = {
    "objective": "binary",
    "metric": ["binary_logloss", "auc"],
    "num_leaves": 4,
    "learning_rate": 0.2,
    "min_data_in_leaf": 5,
    "seed": 0,
    "verbose": -1,
}


def _data(seed: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(100, 4))
    return x, (x[:, 0] + noise * rng.normal(size=100) > 0).astype(int)


def _want(record: dict) -> dict[str, dict[int, float]]:
    return {
        f"{data}-{metric}": dict(enumerate(values))
        for data, metrics in record.items()
        for metric, values in metrics.items()
    }


def test_a_training_run_is_a_trial_with_its_params_and_every_iteration(worker, api, group):
    """The training parameters (without verbosity) make the setting; every evaluation
    result is on the server at each iteration, with LightGBM's own direction."""
    train = lgb.Dataset(*_data(0))
    valid = lgb.Dataset(*_data(1), reference=train)
    record: dict = {}
    callback = KuroCallback(group, worker=worker)
    lgb.train(
        PARAMS,
        train,
        num_boost_round=6,
        valid_sets=[train, valid],
        valid_names=["train", "valid"],
        callbacks=[callback, lgb.record_evaluation(record)],
    )
    assert worker.flush()
    trial = only_trial(api, group)
    assert (trial["identifier"], trial["status"]) == ("lightgbm.Booster", "complete")
    hp = trial["hyper_parameters"]
    assert (hp["num_leaves"], hp["learning_rate"], hp["num_iterations"]) == (4, 0.2, 6)
    assert hp["metric"] == ["binary_logloss", "auc"]
    assert "verbose" not in hp
    want = _want(record)
    assert points(api, trial["id"]) == want
    assert len(want) == 4 and all(len(series) == 6 for series in want.values())
    assert api.metrics(group) == {
        "train-binary_logloss": "min",
        "train-auc": "max",
        "valid-binary_logloss": "min",
        "valid-auc": "max",
    }


def test_after_early_stopping_the_trial_ends_on_end(worker, api, group):
    """LightGBM does not tell callbacks that early stopping ended training: the trial
    holds every evaluated iteration, runs on, and ``end()`` ends it."""
    train = lgb.Dataset(*_data(0))
    valid = lgb.Dataset(*_data(1, noise=50.0), reference=train)  # labels are noise
    record: dict = {}
    callback = KuroCallback(group, worker=worker)
    booster = lgb.train(
        {**PARAMS, "metric": "binary_logloss"},
        train,
        num_boost_round=200,
        valid_sets=[valid],
        callbacks=[callback, lgb.record_evaluation(record), lgb.early_stopping(2, verbose=False)],
    )
    n = len(record["valid_0"]["binary_logloss"])
    assert n < 200 and booster.best_iteration < n
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["status"] == "running"
    assert points(api, trial["id"]) == _want(record)
    callback.end()
    assert worker.flush()
    assert only_trial(api, group)["status"] == "complete"
