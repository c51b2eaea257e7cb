"""KuroCallback for XGBoost: real boosting on CPU into a real server."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb

from kuro.integrations.xgboost import KuroCallback
from tests.integrations.conftest import only_trial, points

pytestmark = pytest.mark.live


def _data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(80, 4))
    return x, (x[:, 0] + 0.5 * rng.normal(size=80) > 0).astype(int)


def test_a_training_run_is_a_trial_with_the_booster_params_and_every_round(worker, api, group):
    """The booster's parameters make the setting; every metric of every evaluation set is
    on the server at each boosting round, as XGBoost recorded it."""
    train, valid = xgb.DMatrix(*_data(0)), xgb.DMatrix(*_data(1))
    params = {
        "max_depth": 2,
        "eta": 0.3,
        "objective": "binary:logistic",
        "eval_metric": ["logloss", "auc"],
        "seed": 3,
    }
    record: dict = {}
    callback = KuroCallback(group, worker=worker, hyper_parameters={"data": "synthetic"})
    xgb.train(
        params,
        train,
        num_boost_round=5,
        evals=[(train, "train"), (valid, "valid")],
        evals_result=record,
        callbacks=[callback],
        verbose_eval=False,
    )
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["identifier"] == "xgboost.Booster"
    assert trial["status"] == "complete"
    hp = trial["hyper_parameters"]
    assert (hp["max_depth"], hp["eta"], hp["objective"], hp["seed"]) == (
        2,
        0.3,
        "binary:logistic",
        3,
    )
    assert (hp["eval_metric"], hp["data"]) == (["logloss", "auc"], "synthetic")
    want = {
        f"{data}-{metric}": dict(enumerate(values))
        for data, metrics in record.items()
        for metric, values in metrics.items()
    }
    assert points(api, trial["id"]) == want
    assert len(want) == 4 and all(len(series) == 5 for series in want.values())
    assert api.metrics(group) == {
        "train-logloss": "min",
        "train-auc": "max",
        "valid-logloss": "min",
        "valid-auc": "max",
    }


def test_the_scikit_learn_api_reports_its_eval_set(worker, api, group):
    """``XGBClassifier(callbacks=[...])``: the eval set's metric at each round."""
    x, y = _data(0)
    model = xgb.XGBClassifier(
        n_estimators=4,
        max_depth=2,
        eval_metric="error",
        callbacks=[KuroCallback(group, worker=worker)],
    )
    model.fit(x, y, eval_set=[_data(1)], verbose=False)
    assert worker.flush()
    trial = only_trial(api, group)
    assert trial["hyper_parameters"]["max_depth"] == 2
    got = points(api, trial["id"])
    assert got == {
        "validation_0-error": dict(enumerate(model.evals_result()["validation_0"]["error"]))
    }
    assert api.metrics(group) == {"validation_0-error": "min"}
