"""Reads: summaries by mode, histories, a whole group in a handful of queries, export."""

from __future__ import annotations

import json
import math

import pytest

from kuro.core.errors import NotFound
from kuro.server.tracking.models import Trial
from kuro.server.tracking.selectors import (
    group_experiments,
    group_export,
    group_list,
    metric_history,
    trial_detail,
    trial_summaries,
)
from kuro.server.tracking.selectors.trials import trial_dict
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
    trial_context_record,
    trial_end,
)

pytestmark = pytest.mark.django_db


def _trial(identifier="m", worker="w", hp=None, n_trials=1):
    experiment = experiment_get_or_create(
        group="g", identifier=identifier, hyper_parameters=hp or {}, n_trials=n_trials
    )
    return trial_acquire(experiment_id=experiment.pk, worker=worker)


def _log(trial, metric, values, steps=None):
    steps = list(range(len(values))) if steps is None else steps
    points_ingest(
        series=[PointSeries(trial_id=trial.pk, metric=metric, steps=steps, values=values)]
    )


def test_summary_best_follows_mode_and_last_is_highest_step():
    """max metric: best is the maximum; min metric: the minimum; last is at the top step."""
    t = _trial()
    _log(t, "acc", [0.5, 0.9, 0.7])
    _log(t, "loss", [3.0, 1.0, 2.0])
    s = trial_summaries(trial_ids=[t.pk])[t.pk]
    assert s["acc"] == {"best": 0.9, "last": 0.7, "last_step": 2, "count": 3}
    assert s["loss"] == {"best": 1.0, "last": 2.0, "last_step": 2, "count": 3}


def test_summary_skips_nan_for_best_but_reports_nan_last():
    """NaN is never the best value; it may be the last one."""
    t = _trial()
    _log(t, "loss", [2.0, 1.0, math.nan])
    s = trial_summaries(trial_ids=[t.pk])[t.pk]["loss"]
    assert (s["best"], s["count"]) == (1.0, 3) and math.isnan(s["last"])


def test_summary_of_all_nan_is_nan_and_infinities_count():
    """A series of NaN has NaN as best; -inf is the best of a min metric."""
    t = _trial()
    _log(t, "loss", [math.nan, math.nan])
    _log(t, "val_loss", [1.0, -math.inf])
    s = trial_summaries(trial_ids=[t.pk])[t.pk]
    assert math.isnan(s["loss"]["best"])
    assert s["val_loss"]["best"] == -math.inf


def test_single_point_is_a_summary_value():
    """A metric with one point has that value as best and last."""
    t = _trial()
    _log(t, "final_acc", [98.0], steps=[0])
    assert trial_summaries(trial_ids=[t.pk])[t.pk]["final_acc"]["best"] == 98.0


def test_history_filters_metrics_and_keeps_request_order():
    """Trials come back in the order asked, with only the metrics asked."""
    a, b = _trial("a"), _trial("b")
    for t in (a, b):
        _log(t, "acc", [0.1, 0.2])
        _log(t, "loss", [1.0, 0.5])
    h = metric_history(trial_ids=[b.pk, a.pk], metrics=["acc"])
    assert [x["trial_id"] for x in h] == [b.pk, a.pk]
    assert all(list(x["metrics"]) == ["acc"] for x in h)


def test_history_downsampling_keeps_extremes_and_says_so():
    """max_points bounds the series, keeps min and max, and marks it sampled."""
    t = _trial()
    values = [math.sin(i / 50) for i in range(5000)]
    values[4321] = 10.0
    values[123] = -10.0
    _log(t, "loss", values)
    s = metric_history(trial_ids=[t.pk], max_points=200)[0]["metrics"]["loss"]
    assert len(s["steps"]) <= 200 and s["sampled"] is True and s["count"] == 5000
    assert 10.0 in s["values"] and -10.0 in s["values"]
    assert s["steps"][0] == 0 and s["steps"][-1] == 4999


def test_history_of_unknown_trials_names_them():
    """Missing trial ids are listed in the error."""
    t = _trial()
    with pytest.raises(NotFound) as info:
        metric_history(trial_ids=[t.pk, 987654])
    assert info.value.detail["missing"] == [987654]


def test_group_of_a_thousand_trials_costs_a_handful_of_queries(django_assert_max_num_queries):
    """No N+1: 100 experiments x 10 trials x 2 metrics read in at most 6 queries."""
    for e in range(100):
        experiment = experiment_get_or_create(
            group="big",
            identifier="m",
            hyper_parameters={"e": e},
            n_trials=10,
            metrics=[("acc", None), ("loss", None)],
        )
        trials = [trial_acquire(experiment_id=experiment.pk, worker=f"w{i}") for i in range(10)]
        points_ingest(
            series=[
                PointSeries(trial_id=t.pk, metric=m, steps=[0, 1], values=[0.1, 0.2])
                for t in trials
                for m in ("acc", "loss")
            ]
        )
    with django_assert_max_num_queries(6):
        data = group_experiments(group="big")
    assert len(data["experiments"]) == 100
    assert sum(len(e["trials"]) for e in data["experiments"]) == 1000
    assert all(
        set(t["summaries"]) == {"acc", "loss"} for e in data["experiments"] for t in e["trials"]
    )


def test_group_list_counts():
    """Groups list their experiments and trials."""
    _trial("a")
    _trial("b", n_trials=2)
    assert group_list() == [
        {
            "name": "g",
            "created_at": group_list()[0]["created_at"],
            "n_experiments": 2,
            "n_trials": 2,
        }
    ]


def test_export_has_every_point_and_status():
    """The export carries every experiment, trial, status and full series."""
    t = _trial("a", hp={"lr": 0.1})
    _log(t, "loss", [float(i) for i in range(3000)])
    trial_end(trial_id=t.pk, status="complete")
    doc = group_export(group="g")
    assert doc["schema"] == "kuro.export/1"
    [experiment] = doc["experiments"]
    assert experiment["hyper_parameters"] == {"lr": 0.1}
    assert experiment["status_counts"] == {"complete": 1}
    series = experiment["trials"][0]["series"]["loss"]
    assert series["values"] == [float(i) for i in range(3000)]
    assert len(series["times"]) == 3000


def _detail_through_the_orm(trial_id):
    """What ``trial_detail`` answers, read through the ORM's fields and converters."""
    trial = Trial.objects.select_related("experiment__group", "package_set").get(pk=trial_id)
    data = trial_dict(trial, trial_summaries(trial_ids=[trial_id]).get(trial_id))
    experiment, package_set = trial.experiment, trial.package_set
    data["group"] = experiment.group.name
    data["identifier"] = experiment.identifier
    data["hyper_parameters"] = experiment.hyper_parameters
    data["context"] = trial.context and {
        **trial.context,
        "packages": [] if package_set is None else package_set.packages,
        "packages_hash": None if package_set is None else package_set.key,
    }
    return data


def test_trial_detail_answers_what_the_orm_reads():
    """``trial_detail`` (in SQL) gives every field as the ORM reads it: aware times, JSON,
    NaN summaries, a context with its packages; a trial with no worker, context or point."""
    t = _trial(hp={"lr": 0.1, "layers": [2, 3], "name": "é"}, n_trials=3)
    _log(t, "loss", [2.0, math.nan])
    _log(t, "acc", [math.inf, 0.5])
    trial_context_record(
        trial_id=t.pk, context={"command": ["train.py"], "git": None}, packages=["b==1", "a==2"]
    )
    trial_end(trial_id=t.pk, status="failed", error="Traceback\n  boom")
    bare = _trial(hp={"lr": 0.1, "layers": [2, 3], "name": "é"}, n_trials=3, worker="v")
    queued = Trial.objects.create(experiment=t.experiment, number=2, status=Trial.Status.QUEUED)
    for trial_id in (t.pk, bare.pk, queued.pk):
        expected = json.dumps(_detail_through_the_orm(trial_id), sort_keys=True)
        assert json.dumps(trial_detail(trial_id=trial_id), sort_keys=True) == expected
    detail = trial_detail(trial_id=t.pk)
    assert detail["context"]["packages"] == ["a==2", "b==1"]
    assert detail["ended_at"].endswith("+00:00") and detail["worker"] == "w"
    assert trial_detail(trial_id=queued.pk)["worker"] is None


def test_trial_detail_of_a_missing_trial_is_not_found():
    """An unknown id raises NotFound naming the trial."""
    with pytest.raises(NotFound, match="trial 987654 does not exist"):
        trial_detail(trial_id=987654)
