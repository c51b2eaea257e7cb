"""The compare page's callbacks called as functions (no browser): states and data work."""

from __future__ import annotations

import csv
import io
import json

import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict
from plotly.io.json import to_json_plotly

from kuro.dashboard import create_app
from kuro.server.tracking.services import (
    PointSeries,
    experiment_get_or_create,
    points_ingest,
    trial_acquire,
    trial_end,
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
    comparison, _ = compare.load_comparison(data, "best", None)
    views = compare.show_selection(selected, data, comparison, None)
    assert views[0] == "1 of 1 selected"
    charts, _ = compare.show_curves(
        selected, data, comparison, "loss", None, "mean", "std", 0, [], "step"
    )
    charts = json.loads(_text(charts))
    figure = charts["props"]["children"][0]["props"]["children"][0]["props"]["figure"]
    assert len(figure["data"]) == 2 and figure["data"][1]["y"] == [2.0, 1.0]


def test_unknown_group_is_an_error_state(compare):
    """A group that does not exist is an alert in the page, and stays picked."""
    experiment_get_or_create(group="g", identifier="m")
    data, _, message, options, value, _ = compare.load_group("nope", 0, 0)
    assert data is None and value == "nope" and "nope" in options
    assert "alert" in _text(message) and "nope" in _text(message)


def _log(group, params, values_per_trial, metric="acc", status_last=True):
    """An experiment whose trials log ``values`` (a series each) and complete."""
    experiment = experiment_get_or_create(
        group=group,
        identifier="m",
        hyper_parameters=params,
        n_trials=len(values_per_trial),
        metrics=[(metric, "max")],
    )
    for i, values in enumerate(values_per_trial):
        trial = trial_acquire(experiment_id=experiment.pk, worker=f"w{experiment.pk}-{i}")
        points_ingest(
            series=[
                PointSeries(
                    trial_id=trial.pk, metric=metric, steps=list(range(len(values))), values=values
                )
            ]
        )
        trial_end(trial_id=trial.pk, status="complete")
    return experiment


def _forest(views) -> dict:
    panel = json.loads(_text(views[2]))
    text = json.dumps(panel)
    start = text.index('"figure": ') + len('"figure": ')
    figure, _ = json.JSONDecoder().raw_decode(text[start:])
    return figure


def test_statistic_picker_changes_the_values(compare):
    """Best and last give each trial a different value; cards, chart and table follow."""
    _log("g", {"lr": 0.1}, [[0.5, 0.9, 0.6], [0.5, 0.8, 0.7]])
    data, *_ = compare.load_group("g", 0, 0)
    means = {}
    for statistic in ("best", "last"):
        comparison, disabled = compare.load_comparison(data, statistic, None)
        assert disabled
        views = compare.show_selection(None, data, comparison, None)
        rows = compare.aggregate_grid(None, data, comparison, None)["rowData"]
        means[statistic] = rows[0]["mean"]
        assert "each trial" in views[1]
    assert means == {"best": pytest.approx(0.85), "last": pytest.approx(0.65)}
    comparison, disabled = compare.load_comparison(data, "step", 1)
    assert not disabled
    rows = compare.aggregate_grid(None, data, comparison, None)["rowData"]
    assert rows[0]["mean"] == pytest.approx(0.85)
    missing, _ = compare.load_comparison(data, "step", None)
    assert "Enter a step" in _text(compare.show_selection(None, data, missing, None)[2])


def test_group_by_pools_trials_over_other_keys(compare):
    """Grouping by lr pools the trials of every experiment with that lr, whatever the seed;
    the leader and the tests are between the groups."""
    _log("g", {"lr": 0.1, "seed": 1}, [[0.90], [0.92]])
    _log("g", {"lr": 0.1, "seed": 2}, [[0.91], [0.93]])
    _log("g", {"lr": 0.01, "seed": 3}, [[0.70], [0.72]])
    data, *_ = compare.load_group("g", 0, 0)
    _, _, _, _, _, _, _, keys = compare.show_experiments(data, None)
    assert keys == ["lr", "seed"]
    comparison, _ = compare.load_comparison(data, "best", None)
    views = compare.show_selection(None, data, comparison, None, "lr")
    rows = compare.aggregate_grid(None, data, comparison, None, "lr")["rowData"]
    assert [(r["setting"], r["n"]) for r in rows] == [("lr=0.1", 4), ("lr=0.01", 2)]
    assert rows[0]["mean"] == pytest.approx(0.915) and rows[0]["verdict"] == "leader"
    assert rows[1]["verdict"].startswith("separated")
    figure = _forest(views)
    assert [t["y"] for t in figure["data"]] == [["lr=0.1"], ["lr=0.01"]]


def test_default_curves_are_the_top_settings(compare):
    """With nothing selected the curves show the top settings by the chosen metric."""
    for k in range(7):
        _log("g", {"lr": k}, [[0.1 * k, 0.1 * k + 0.05]] * 2)
    data, *_ = compare.load_group("g", 0, 0)
    comparison, _ = compare.load_comparison(data, "best", None)
    charts, scope = compare.show_curves(
        None, data, comparison, "acc", None, "mean", "std", 0, [], "step"
    )
    figure = json.loads(_text(charts))["props"]["children"][0]["props"]["children"][0]
    names = [t["name"] for t in figure["props"]["figure"]["data"] if t.get("meta") != "band"]
    assert len(names) == compare.DEFAULT_CURVES and "lr=6" in names[0]
    assert scope.startswith("The top 5 experiments by acc")


def test_minus_infinity_survives_the_store(compare):
    """A -inf best stays -inf through the page's stores (Dash writes NaN/inf as null):
    the chart lists it and the table shows it."""
    _log("g", {"lr": 0.1}, [[1.0, float("-inf")], [0.5, 0.4]], metric="loss")
    data, *_ = compare.load_group("g", 0, 0)
    data = json.loads(_text(data))  # as the browser sends it back
    comparison, _ = compare.load_comparison(data, "last", None)
    comparison = json.loads(_text(comparison))
    grid = compare.aggregate_grid(None, data, comparison, None)
    assert grid["rowData"][0]["mean"] == "-Infinity"
    assert grid["columnDefs"][0]["field"] == "rank"


def test_address_holds_the_state(compare):
    """The layout reads the state from the address; controls write it back."""
    page = _text(compare.layout(group="g", statistic="step", step="500", by="lr", trials="all"))
    for part in ('"value":"step"', '"value":500', '"value":"lr"', '"value":"all"'):
        assert part in page
    search = compare.write_address(
        "g", "acc", "step", 500, "lr", [{"id": 3}, {"id": 5}], "all", "std", "step", 0, ["log"]
    )
    assert (
        search
        == "?group=g&metric=acc&statistic=step&step=500&by=lr&selected=3%2C5&trials=all&log=1"
    )


def test_no_comparison_yet_draws_nothing(compare):
    """Before the comparison is read there are no top settings to draw: the page says so."""
    experiment_get_or_create(group="g", identifier="m")
    data, *_ = compare.load_group("g", 0, 0)
    charts, scope = compare.show_curves([], data, None, None, None, "mean", "std", 0, [], "step")
    assert charts is None and "once the comparison is read" in scope


def test_lazy_grids_are_not_in_the_first_view(compare):
    """The layout holds the aggregates and trials grids' places, not the grids: they are
    built in the browser after the first view (``FilterGrid.lazy``)."""
    _log("g", {"lr": 0.1}, [[0.5, 0.9], [0.5, 0.8]])
    page = json.loads(_text(compare.layout(group="g")))
    text = json.dumps(page)
    for grid in ("compare-aggregates", "compare-trials"):
        assert f'"{grid}-place"' in text
        assert f'"aio_id": "{grid}"' not in text
    assert '"aio_id": "compare-experiments"' in text


def test_json_preview_waits_until_seen(compare):
    """The layout holds the JSON preview's place, not its text (built once seen); seen, it
    is the selection's experiments with their trials' summaries."""
    kept = _log("g", {"lr": 0.1}, [[0.5, 0.9], [0.5, 0.8]])
    _log("g", {"lr": 0.2}, [[0.4, 0.7]])
    page = json.loads(_text(compare.layout(group="g")))
    (preview,) = _find(page, "compare-json")
    assert preview["props"]["children"] == ""
    data, *_ = compare.load_group("g", 0, 0)
    assert compare.show_json(None, data, False) is no_update
    text = compare.show_json([{"id": kept.pk}], data, True)
    document = json.loads(text)
    assert document["group"] == "g" and [e["id"] for e in document["experiments"]] == [kept.pk]
    assert document["experiments"][0]["trials"][0]["summaries"]["acc"]["best"] == 0.9
    assert len(json.loads(compare.show_json(None, data, True))["experiments"]) == 2


def _find(node, component_id):
    """The components of a layout (as JSON) with the id ``component_id``."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            yield node
        for value in node.values():
            yield from _find(value, component_id)
    elif isinstance(node, list):
        for value in node:
            yield from _find(value, component_id)


def test_comparison_download_follows_the_statistic_and_group_by(compare):
    """The comparison CSV is what the page shows: the chosen statistic's means, grouped by
    the chosen key, in rank order, with the verdict of each setting against the leader."""
    from kuro.dashboard.pages.compare.downloads import download  # once the app has pages

    _log("g", {"lr": 0.1, "seed": 1}, [[0.5, 0.90, 0.60], [0.5, 0.92, 0.62]])
    _log("g", {"lr": 0.1, "seed": 2}, [[0.5, 0.91, 0.61], [0.5, 0.93, 0.63]])
    _log("g", {"lr": 0.01, "seed": 3}, [[0.5, 0.70, 0.69], [0.5, 0.72, 0.71]])
    data, *_ = compare.load_group("g", 0, 0)
    comparison, _ = compare.load_comparison(data, "last", None)
    shown = compare.aggregate_grid(None, data, comparison, None, "lr")["rowData"]
    button = "compare-download-comparison-button"
    context_value.set(
        AttributeDict(triggered_inputs=[{"prop_id": f"{button}.n_clicks", "value": 1}])
    )
    answer = download(0, 0, 1, data, None, comparison, "lr")
    assert answer["filename"] == "kuro-g-3-experiments-comparison-last.csv"
    rows = list(csv.DictReader(io.StringIO(answer["content"])))
    assert [(r["statistic"], r["group_by"], r["setting"]) for r in rows] == [
        ("last", "lr", "lr=0.01"),
        ("last", "lr", "lr=0.1"),
    ]
    assert [float(r["mean"]) for r in rows] == pytest.approx([r["mean"] for r in shown])
    assert [float(r["mean"]) for r in rows] == pytest.approx([0.70, 0.615])
    assert rows[0]["verdict"] == "leader" and rows[1]["verdict"].startswith("separated")
