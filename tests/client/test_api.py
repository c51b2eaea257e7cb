"""``kuro.Api``: groups, experiments, trials and histories as plain structures, and
DataFrames when pandas is installed."""

from __future__ import annotations

import json
import math
import sys

import pytest

import kuro

pytestmark = pytest.mark.live


@pytest.fixture
def recorded(worker, group):
    """Two experiments: lr 0.1 with two trials, lr 0.2 with one; loss has a NaN."""
    trials = []
    for lr, n in ((0.1, 2), (0.2, 1)):
        experiment = worker.experiment(
            group, "model", metrics=["loss"], hyper_parameters={"lr": lr}, n_trials=n
        )
        for _ in range(n):
            with experiment.trial() as trial:
                for step in range(10):
                    trial.report_metric("loss", 1.0 / (step + 1))
                trial.report_metric("loss", math.nan)
                trial.report_metric("acc", 0.5, step=3)
            trials.append(trial)
    assert worker.flush()
    return trials


def test_groups_lists_counts(api, group, recorded):
    """``groups()`` has the group with its numbers of experiments and trials."""
    [row] = [g for g in api.groups() if g["name"] == group]
    assert (row["n_experiments"], row["n_trials"]) == (2, 3)


def test_experiments_have_trials_and_summaries(api, group, recorded):
    """``experiments(group)`` nests trials with float summaries."""
    experiments = api.experiments(group)
    assert [len(e["trials"]) for e in experiments] == [2, 1]
    summary = experiments[0]["trials"][0]["summaries"]["loss"]
    assert summary["best"] == 0.1 and math.isnan(summary["last"]) and summary["count"] == 11


def test_trials_filters_and_flattens(api, group, recorded):
    """``trials()`` rows carry their experiment's identifier and hyper-parameters."""
    rows = api.trials(group)
    assert [r["hyper_parameters"]["lr"] for r in rows] == [0.1, 0.1, 0.2]
    first = rows[0]["experiment_id"]
    assert len(api.trials(group, experiment_id=first)) == 2
    assert api.trials(group, status="failed") == []
    assert {r["identifier"] for r in rows} == {"model"}


def test_history_is_full_or_downsampled(api, recorded):
    """``history`` gives every point as floats, or at most ``max_points`` per series."""
    ids = [t.id for t in recorded]
    full = api.history(ids, metrics=["loss"])
    series = full[0]["metrics"]["loss"]
    assert series["steps"] == list(range(11)) and math.isnan(series["values"][-1])
    assert set(full[0]["metrics"]) == {"loss"}
    sampled = api.history(ids, max_points=4)[0]["metrics"]["loss"]
    assert sampled["sampled"] and len(sampled["steps"]) <= 4 and sampled["count"] == 11
    zoomed = api.history(ids, metrics=["loss"], step_min=3, step_max=5)[0]["metrics"]["loss"]
    assert zoomed["steps"] == [3, 4, 5] and zoomed["values"] == series["values"][3:6]


def test_answers_are_plain_json(api, group, recorded):
    """Every answer serializes with the standard json module."""
    for answer in (api.groups(), api.trials(group), api.history([recorded[0].id])):
        json.loads(json.dumps(answer))


def test_unknown_group_raises_not_found(api):
    """A group that does not exist is kuro.NotFound."""
    with pytest.raises(kuro.NotFound):
        api.experiments("no-such-group-anywhere")


def test_to_pandas(api, group, recorded):
    """Trials, histories and exports become DataFrames."""
    import pandas

    trials = api.trials(group).to_pandas()
    assert isinstance(trials, pandas.DataFrame) and len(trials) == 3
    long = api.history([t.id for t in recorded]).to_pandas()
    assert list(long.columns) == ["trial_id", "metric", "step", "value", "time"]
    assert len(long) == 3 * 12
    points = api.export(group).to_pandas()
    assert len(points) == 3 * 12 and "hp.lr" in points.columns


def test_to_pandas_without_pandas_says_how_to_get_it(monkeypatch):
    """pandas is optional: without it, to_pandas names the extra to install."""
    from kuro.client._api import Records

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"kuro\[pandas\]"):
        Records([{"a": 1}]).to_pandas()


def test_history_to_pandas_is_typed_and_exact(api, worker, group):
    """The long table keeps NaN and infinities, with int64 steps and float64 values."""
    with worker.experiment(group, "exact", metrics=["loss"]).trial() as trial:
        for value in (0.5, math.nan, math.inf, -math.inf):
            trial.report_metric("loss", value)
    assert worker.flush()
    frame = api.history([trial.id]).to_pandas()
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "trial_id": "int64",
        "metric": "object",
        "step": "int64",
        "value": "float64",
        "time": "float64",
    }
    assert frame["step"].tolist() == [0, 1, 2, 3] and set(frame["trial_id"]) == {trial.id}
    values = frame["value"].tolist()
    assert values[0] == 0.5 and math.isnan(values[1]) and values[2:] == [math.inf, -math.inf]


def test_history_to_pandas_of_nothing_has_the_columns():
    """An empty history is an empty frame with the same columns and types."""
    from kuro.client._api import History

    frame = History([]).to_pandas()
    assert list(frame.columns) == ["trial_id", "metric", "step", "value", "time"]
    assert len(frame) == 0 and str(frame["value"].dtype) == "float64"


def test_history_to_pandas_without_pandas_says_how_to_get_it(monkeypatch):
    """pandas is optional for histories too: the error names the extra."""
    from kuro.client._api import History

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"kuro\[pandas\]"):
        History([]).to_pandas()
