"""Reads for the dashboard: a selection's full export, and the trials running now."""

from __future__ import annotations

import math

import pytest

from kuro.server.tracking.selectors import group_export, running_trials, selection_export
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
    trial_end,
)

pytestmark = pytest.mark.django_db


def _experiment(lr, group="g"):
    return experiment_get_or_create(
        group=group, identifier="m", hyper_parameters={"lr": lr}, n_trials=2
    )


def _trial(experiment, worker, values):
    trial = trial_acquire(experiment_id=experiment.pk, worker=worker)
    points_ingest(
        series=[
            PointSeries(
                trial_id=trial.pk, metric="loss", steps=list(range(len(values))), values=values
            )
        ]
    )
    return trial


def test_selection_export_is_the_group_export_of_the_chosen_experiments():
    """Same schema and full series as the group export, only the listed experiments."""
    a, b = _experiment(0.1), _experiment(0.01)
    _trial(a, "w1", [3.0, 2.0, float("nan")])
    _trial(b, "w1", [1.0] * 2000)
    whole = group_export(group="g")
    chosen = selection_export(group="g", experiment_ids=[b.pk, 999])
    assert chosen["schema"] == whole["schema"] == "kuro.export/1"
    assert chosen["metrics"] == whole["metrics"]
    assert [e["id"] for e in chosen["experiments"]] == [b.pk]
    assert chosen["experiments"][0] == next(e for e in whole["experiments"] if e["id"] == b.pk)
    assert len(chosen["experiments"][0]["trials"][0]["series"]["loss"]["steps"]) == 2000


def test_selection_export_answers_floats():
    """NaN is a float NaN in the export selector (the edges write "NaN")."""
    a = _experiment(0.1)
    _trial(a, "w1", [3.0, float("nan")])
    trial = selection_export(group="g", experiment_ids=[a.pk])["experiments"][0]["trials"][0]
    values = trial["series"]["loss"]["values"]
    assert values[0] == 3.0 and math.isnan(values[1])
    assert math.isnan(trial["summaries"]["loss"]["last"])


def test_running_trials_lists_only_running_ones_with_context():
    """Running trials with group, identifier and worker; ended ones are left out."""
    a = _experiment(0.1, group="vision")
    running = _trial(a, "w1", [1.0])
    done = _trial(a, "w2", [1.0])
    trial_end(trial_id=done.pk, status="complete")
    rows = running_trials()
    assert [r["id"] for r in rows] == [running.pk]
    row = rows[0]
    assert (row["group"], row["identifier"], row["worker"]) == ("vision", "m", "w1")
    assert row["experiment_id"] == a.pk and row["number"] == running.number
    assert row["started_at"] is not None
