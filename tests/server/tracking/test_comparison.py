"""The comparison selector: per-trial statistics, ranking by mode, tests against the leader."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from kuro.core.errors import InvalidInput, NotFound
from kuro.server.tracking.selectors.comparison import metric_comparison, metric_comparisons
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
    trial_end,
)

pytestmark = pytest.mark.django_db


def _setting(identifier, runs, *, metric="acc", status="complete", lr=0.1):
    """An experiment whose trials log ``runs`` (one list of values per trial)."""
    experiment = experiment_get_or_create(
        group="g", identifier=identifier, hyper_parameters={"lr": lr}, n_trials=len(runs)
    )
    for i, values in enumerate(runs):
        trial = trial_acquire(experiment_id=experiment.pk, worker=f"w{identifier}{i}")
        series = PointSeries(
            trial_id=trial.pk, metric=metric, steps=list(range(len(values))), values=values
        )
        points_ingest(series=[series])
        trial_end(trial_id=trial.pk, status=status)
    return experiment


def test_ranks_by_mean_of_best_and_tests_against_the_leader():
    """The leader has the highest mean best accuracy; the others carry Welch's test."""
    strong = _setting("strong", [[0.5, 0.92], [0.6, 0.93], [0.4, 0.95]])
    weak = _setting("weak", [[0.80, 0.7], [0.82, 0.6], [0.81, 0.5]])
    answer = metric_comparison(group="g", metric="acc")
    assert answer["leader_id"] == strong.pk and answer["mode"] == "max"
    first, second = answer["experiments"]
    assert (first["rank"], first["versus_leader"]) == (1, None)
    assert first["values"] == [0.92, 0.93, 0.95]
    assert second["experiment_id"] == weak.pk
    expected = stats.ttest_ind([0.80, 0.82, 0.81], [0.92, 0.93, 0.95], equal_var=False)
    assert second["versus_leader"]["p_value"] == pytest.approx(expected.pvalue, abs=1e-9)
    assert second["versus_leader"]["separated"] is True


def test_last_and_step_statistics():
    """``last`` takes the top step's value; ``step`` the value at that step."""
    _setting("a", [[0.1, 0.9, 0.2], [0.1, 0.8, 0.3]])
    last = metric_comparison(group="g", metric="acc", statistic="last")
    assert last["experiments"][0]["values"] == [0.2, 0.3]
    at = metric_comparison(group="g", metric="acc", statistic="step", step=1)
    assert at["experiments"][0]["mean"] == pytest.approx(0.85)


def test_summary_statistic_is_each_trials_summary_value():
    """A metric logged once per trial (a summary such as test accuracy): ``summary`` takes
    that value, which is also the trial's last; ``best`` over one value is the same."""
    _setting("a", [[0.91], [0.93]], metric="test_acc")
    _setting("b", [[0.95], [0.94]], metric="test_acc")
    summary = metric_comparison(group="g", metric="test_acc", statistic="summary")
    assert summary["statistic"] == "summary"
    assert [row["values"] for row in summary["experiments"]] == [[0.95, 0.94], [0.91, 0.93]]
    assert summary["experiments"][0]["mean"] == pytest.approx(0.945)
    for statistic in ("last", "best"):
        other = metric_comparison(group="g", metric="test_acc", statistic=statistic)
        assert other["experiments"] == summary["experiments"]


def test_only_complete_trials_count_and_min_mode_ranks_low_first():
    """Failed trials are left out; for a loss the lowest mean leads."""
    _setting("low", [[0.3], [0.2]], metric="loss")
    _setting("high", [[0.9], [0.8]], metric="loss")
    _setting("failed", [[0.01]], metric="loss", status="failed")
    answer = metric_comparison(group="g", metric="loss")
    order = [row["identifier"] for row in answer["experiments"]]
    assert order == ["low", "high", "failed"]
    assert answer["experiments"][2]["n"] == 0 and math.isnan(answer["experiments"][2]["mean"])


def test_bootstrap_is_reproducible():
    """The bootstrap interval is the same on every read."""
    _setting("a", [[0.9], [0.8], [0.85], [0.95]])
    one = metric_comparison(group="g", metric="acc", bootstrap=500)
    two = metric_comparison(group="g", metric="acc", bootstrap=500)
    row = one["experiments"][0]
    assert row["bootstrap_low"] == two["experiments"][0]["bootstrap_low"]
    assert row["bootstrap_low"] < row["mean"] < row["bootstrap_high"]


def test_several_metrics_read_at_once_are_each_metrics_comparison():
    """``metric_comparisons`` answers, per metric, what ``metric_comparison`` answers."""
    _setting("a", [[0.9, 0.8], [0.7, 0.95]])
    _setting("b", [[0.3], [0.2]], metric="loss")
    _setting("c", [[0.6], [0.65], [0.5]])
    for statistic in ("best", "last"):
        both = metric_comparisons(group="g", metrics=["loss", "acc"], statistic=statistic)
        assert list(both) == ["loss", "acc"]
        for name, answer in both.items():
            assert answer == metric_comparison(group="g", metric=name, statistic=statistic)
    with pytest.raises(NotFound) as missing:
        metric_comparisons(group="g", metrics=["acc", "nope"])
    assert missing.value.detail == {"field": "metric"}


def test_bad_arguments_name_their_field():
    """Unknown group or metric, a bad statistic, a step without statistic=step."""
    _setting("a", [[0.9]])
    with pytest.raises(NotFound):
        metric_comparison(group="nope", metric="acc")
    with pytest.raises(NotFound) as metric:
        metric_comparison(group="g", metric="nope")
    assert metric.value.detail == {"field": "metric"}
    with pytest.raises(InvalidInput) as statistic:
        metric_comparison(group="g", metric="acc", statistic="mean")
    assert statistic.value.field == "statistic"
    with pytest.raises(InvalidInput) as step:
        metric_comparison(group="g", metric="acc", step=3)
    assert step.value.field == "step"


def test_api_answers_in_wire_form_and_names_bad_fields(api):
    """``GET /compare`` writes NaN as a string; bad input is a 4xx naming the field."""
    _setting("one", [[0.9]])
    status, body = api.get("/compare", group="g", metric="acc")
    assert status == 200
    row = body["experiments"][0]
    assert (row["n"], row["mean"], row["std"], row["versus_leader"]) == (1, 0.9, "NaN", None)
    status, body = api.get("/compare", group="g", metric="acc", statistic="mean")
    assert status == 422 and body["detail"]["field"] == "statistic"
    status, body = api.get("/compare", group="g", metric="acc", step=2)
    assert status == 422 and body["detail"]["field"] == "step"
    status, body = api.get("/compare", group="g", metric="nope")
    assert status == 404 and body["detail"]["field"] == "metric"
