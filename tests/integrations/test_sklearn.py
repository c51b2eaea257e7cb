"""log_search: a real fitted scikit-learn search into a real server, CV folds as trials."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

import kuro
from kuro.integrations.sklearn import log_search
from tests.integrations.conftest import points

pytestmark = pytest.mark.live


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    return x, (x[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)


def _scores(api: kuro.Api, group: str) -> dict[tuple[float, int], dict[str, dict[int, float]]]:
    """(C, trial number) -> the trial's points."""
    return {
        (t["hyper_parameters"]["C"], t["number"]): points(api, t["id"]) for t in api.trials(group)
    }


def test_each_setting_is_an_experiment_and_each_fold_a_trial(worker, api, group):
    """A grid of two settings with 3-fold CV: two experiments of three complete trials,
    each holding its fold's test and train scores."""
    search = GridSearchCV(
        LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, cv=3, return_train_score=True
    ).fit(*_data())
    experiments = log_search(search, group=group, worker=worker, hyper_parameters={"cv": 3})
    assert worker.flush()
    assert [e.hyper_parameters for e in experiments] == [
        {"C": 0.1, "cv": 3},
        {"C": 1.0, "cv": 3},
    ]
    trials = api.trials(group)
    assert {t["identifier"] for t in trials} == {"sklearn.linear_model.LogisticRegression"}
    assert sorted((t["hyper_parameters"]["C"], t["number"]) for t in trials) == [
        (0.1, 0),
        (0.1, 1),
        (0.1, 2),
        (1.0, 0),
        (1.0, 1),
        (1.0, 2),
    ]
    assert {t["status"] for t in trials} == {"complete"}
    results = search.cv_results_
    for i, c in enumerate([0.1, 1.0]):
        for fold in range(3):
            assert _scores(api, group)[(c, fold)] == {
                "test_score": {0: results[f"split{fold}_test_score"][i]},
                "train_score": {0: results[f"split{fold}_train_score"][i]},
            }
    assert api.metrics(group) == {"test_score": "max", "train_score": "max"}


def test_several_scorers_are_several_metrics(worker, api, group):
    """A randomized search with two scorers: ``test_<name>`` for each, all 'max'."""
    search = RandomizedSearchCV(
        LogisticRegression(max_iter=200),
        {"C": [0.01, 0.1, 1.0, 10.0]},
        n_iter=2,
        cv=2,
        scoring={"acc": "accuracy", "nll": "neg_log_loss"},
        refit="acc",
        random_state=0,
    ).fit(*_data())
    log_search(search, group=group, worker=worker)
    assert worker.flush()
    trials = api.trials(group)
    assert len(trials) == 4
    results = search.cv_results_
    settings = [p["C"] for p in results["params"]]
    for (c, fold), got in _scores(api, group).items():
        i = settings.index(c)
        assert got == {
            "test_acc": {0: results[f"split{fold}_test_acc"][i]},
            "test_nll": {0: results[f"split{fold}_test_nll"][i]},
        }
    assert api.metrics(group) == {"test_acc": "max", "test_nll": "max"}


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite:UserWarning")
def test_a_fold_whose_fit_failed_is_a_failed_trial(worker, api, group):
    """``error_score=nan``: the folds of a setting that cannot fit end as failed."""
    search = GridSearchCV(
        LogisticRegression(max_iter=200), {"C": [1.0, -1.0]}, cv=2, error_score=np.nan
    )
    with pytest.warns(FitFailedWarning):
        search.fit(*_data())
    log_search(search, group=group, worker=worker)
    assert worker.flush()
    status = {(t["hyper_parameters"]["C"], t["number"]): t for t in api.trials(group)}
    assert {k: t["status"] for k, t in status.items()} == {
        (1.0, 0): "complete",
        (1.0, 1): "complete",
        (-1.0, 0): "failed",
        (-1.0, 1): "failed",
    }
    assert "test_score is NaN" in status[(-1.0, 0)]["error"]


def test_a_search_recorded_twice_is_refused(worker, group):
    """The experiments already hold their folds: ``kuro.Conflict``, nothing added."""
    search = GridSearchCV(LogisticRegression(max_iter=200), {"C": [1.0]}, cv=2).fit(*_data())
    log_search(search, group=group, worker=worker)
    with pytest.raises(kuro.Conflict, match="n_trials"):
        log_search(search, group=group, worker=worker)


def test_an_unfitted_search_is_refused(worker, group):
    """``kuro.InvalidInput`` naming the search, before anything is sent."""
    search = GridSearchCV(LogisticRegression(), {"C": [1.0]})
    with pytest.raises(kuro.InvalidInput) as caught:
        log_search(search, group=group, worker=worker)
    assert caught.value.detail["field"] == "search"
