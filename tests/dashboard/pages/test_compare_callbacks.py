"""The compare page's callbacks called as functions (no browser): states and data work."""

from __future__ import annotations

import json

import pytest
from plotly.io.json import to_json_plotly

from kuro.dashboard import create_app
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def compare():
    create_app()
    from kuro.dashboard.pages import compare

    return compare


def _text(component) -> str:
    return to_json_plotly(component)


def test_empty_database_says_how_to_start(compare):
    """No group at all: an empty state that says how to log data, not a blank page."""
    data, _, message, options, value, body = compare.load_group(None, 0, 0)
    assert data is None and options == [] and value is None
    assert "No data yet" in _text(message) and body == "kuro-hidden"


def test_single_group_is_picked_and_loaded(compare):
    """With one group the page opens it; the selection views and curves build from it."""
    experiment = experiment_get_or_create(
        group="g", identifier="m", hyper_parameters={"lr": 0.1}, n_trials=2
    )
    for worker in ("a", "b"):
        trial = trial_acquire(experiment_id=experiment.pk, worker=worker)
        points_ingest(
            series=[PointSeries(trial_id=trial.pk, metric="loss", steps=[0, 1], values=[2, 1])]
        )
    data, status, message, options, value, body = compare.load_group(None, 0, 0)
    assert value == "g" and options == ["g"] and body == "" and message is None
    assert status.startswith("1 experiment · 2 trials")
    rows, *_ = compare.show_experiments(data, None)
    assert [r["id"] for r in rows] == [experiment.pk]
    selected = [{"id": experiment.pk}]
    views = compare.show_selection(selected, data, None)
    assert views[0] == "1 of 1 selected"
    charts = json.loads(_text(compare.show_curves(selected, data, "mean", "std", 0, [], "step")))
    figure = charts["props"]["children"][0]["props"]["children"][0]["props"]["figure"]
    assert len(figure["data"]) == 3 and figure["data"][2]["y"] == [2.0, 1.0]


def test_unknown_group_is_an_error_state(compare):
    """A group that does not exist is an alert in the page, and stays picked."""
    experiment_get_or_create(group="g", identifier="m")
    data, _, message, options, value, _ = compare.load_group("nope", 0, 0)
    assert data is None and value == "nope" and "nope" in options
    assert "alert" in _text(message) and "nope" in _text(message)


def test_no_selection_asks_for_one(compare):
    """Curves need a selection; the page says so."""
    experiment_get_or_create(group="g", identifier="m")
    data, *_ = compare.load_group("g", 0, 0)
    assert "Select experiments" in _text(
        compare.show_curves([], data, "mean", "std", 0, [], "step")
    )
