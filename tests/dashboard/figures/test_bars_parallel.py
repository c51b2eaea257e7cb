"""Bar charts of aggregates (best first, std error bars) and the parallel-coordinates chart."""

from __future__ import annotations

import math

import pytest

from kuro.dashboard.figures.bars import bar_figure, rank_best_first, verdict
from kuro.dashboard.figures.parallel import parallel_figure

ROWS = [
    {"experiment_id": 1, "mean": 0.5, "std": 0.1, "best": 0.6, "n": 3, "n_trials": 3},
    {"experiment_id": 2, "mean": 0.9, "std": None, "best": 0.9, "n": 1, "n_trials": 3},
    {"experiment_id": 3, "mean": None, "std": None, "best": None, "n": 0, "n_trials": 1},
    {"experiment_id": 4, "mean": 0.7, "std": 0.05, "best": 0.75, "n": 2, "n_trials": 2},
]


def test_rank_best_first_by_mode():
    """Largest mean first for max, smallest for min; no mean last."""
    assert [r["experiment_id"] for r in rank_best_first(ROWS, "max")] == [2, 4, 1, 3]
    assert [r["experiment_id"] for r in rank_best_first(ROWS, "min")] == [1, 4, 2, 3]


def test_bar_figure_has_error_bars_best_on_top():
    """One bar per experiment with a mean, std error bars, the best at the top."""
    figure = bar_figure(
        metric="acc", mode="max", rows=ROWS, labels={1: "a", 2: "b", 4: "d"}, colors={}
    )
    trace = figure["data"][0]
    assert trace["y"] == ["b", "d", "a"]
    assert trace["error_x"]["array"] == [0.0, 0.05, 0.1]
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"


def test_verdict_names_winner_margin_and_runner_up():
    """The winner by mean, its margin over the runner-up (positive: better)."""
    result = verdict(ROWS, "min")
    assert result["winner"]["experiment_id"] == 1
    assert result["runner_up"]["experiment_id"] == 4
    assert result["margin"] == pytest.approx(0.2)
    assert verdict(ROWS[2:3], "max") is None
    assert verdict(ROWS[:1], "max")["runner_up"] is None


def test_bar_figure_caps_bars():
    """At most max_bars bars."""
    rows = [dict(ROWS[0], experiment_id=i, mean=float(i)) for i in range(40)]
    figure = bar_figure(metric="acc", mode="max", rows=rows, labels={}, colors={}, max_bars=25)
    assert len(figure["data"][0]["x"]) == 25
    assert figure["data"][0]["x"][0] == 39.0


def _experiment(eid, identifier, params, bests):
    return {
        "id": eid,
        "identifier": identifier,
        "hyper_parameters": params,
        "trials": [{"id": i, "summaries": {"acc": {"best": b}}} for i, b in enumerate(bests)],
    }


def test_parallel_dimensions_and_colour():
    """Numeric keys stay numeric, categories get ticks, the metric is the last axis."""
    figure = parallel_figure(
        experiments=[
            _experiment(1, "mlp", {"lr": 0.1, "opt": "sgd"}, [0.5, math.nan]),
            _experiment(2, "mlp", {"lr": 0.01, "opt": "adam"}, [0.7, 0.8]),
        ],
        metric="acc",
        mode="max",
        keys=["lr", "opt"],
    )
    trace = figure["data"][0]
    labels = [d["label"] for d in trace["dimensions"]]
    assert labels == ["lr", "opt", "acc (best)"]
    assert trace["dimensions"][0]["values"] == [0.1, 0.01, 0.01]
    assert trace["dimensions"][1]["ticktext"] == ["adam", "sgd"]
    assert trace["line"]["color"] == [0.5, 0.7, 0.8]


def test_parallel_log_axis_for_wide_ranges():
    """A positive key spanning two decades or more is drawn on a log axis."""
    figure = parallel_figure(
        experiments=[
            _experiment(1, "mlp", {"lr": 0.1}, [0.5]),
            _experiment(2, "mlp", {"lr": 0.001}, [0.7]),
        ],
        metric="acc",
        mode="max",
        keys=["lr"],
    )
    axis = figure["data"][0]["dimensions"][0]
    assert axis["label"] == "lr (log)"
    assert axis["values"] == pytest.approx([-1, -3])
    assert axis["ticktext"] == ["0.001", "0.01", "0.1"]


def test_parallel_without_values_is_none():
    """No finite value of the metric: nothing to draw."""
    assert parallel_figure(experiments=[], metric="acc", mode="max", keys=[]) is None
