"""The winner chart (a forest plot of means with 95% intervals) and the
parallel-coordinates chart."""

from __future__ import annotations

import math

import pytest

from kuro.core.statistics import describe, versus
from kuro.dashboard.figures.forest import LEADER, SEPARATED, TIED, forest_figure
from kuro.dashboard.figures.parallel import parallel_figure


def _row(key, values, leader=None, label=None):
    d = describe(values)
    return {
        "key": key,
        "label": label or key,
        "hover": [label or key],
        "experiment_ids": [1],
        "values": values,
        "rank": 0,
        "n": d.n,
        "mean": d.mean,
        "std": d.std,
        "sem": d.sem,
        "ci_low": d.ci_low,
        "ci_high": d.ci_high,
        "median": d.median,
        "iqm": d.iqm,
        "versus_leader": None if leader is None else versus(leader, values, "max").as_dict(),
    }


BEST = [0.940, 0.942, 0.938, 0.941]
ROWS = [
    _row("best", BEST),
    _row("close", [0.936, 0.944, 0.930, 0.945], BEST),  # overlaps: not separated
    _row("worse", [0.880, 0.882, 0.879, 0.881], BEST),
]


def test_forest_axis_is_zoomed_to_the_data():
    """0.88 and 0.94 look different: the axis spans the intervals, not zero to one."""
    figure, info = forest_figure(metric="acc", mode="max", rows=ROWS)
    low, high = figure["layout"]["xaxis"]["range"]
    assert 0.85 < low < 0.88 and 0.945 < high < 0.96
    assert info["drawn"] == 3


def test_forest_marks_leader_on_top_and_shades_not_separated():
    """The leader is its own trace on the first row; a setting the test does not separate
    from it is marked apart and its row shaded; a separated one is plain."""
    figure, _ = forest_figure(metric="acc", mode="max", rows=ROWS)
    traces = {t["name"]: t for t in figure["data"]}
    assert traces[LEADER]["y"] == ["best"] and traces[LEADER]["marker"]["symbol"] == "star"
    assert traces[TIED]["y"] == ["close"] and traces[SEPARATED]["y"] == ["worse"]
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"
    shaded = [s for s in figure["layout"]["shapes"] if s.get("name") == "not separated"]
    assert [(s["y0"], s["y1"]) for s in shaded] == [(0.5, 1.5)]  # the second row
    lead = next(s for s in figure["layout"]["shapes"] if s.get("name") == "leader interval")
    assert lead["x0"] == pytest.approx(ROWS[0]["ci_low"])


def test_forest_whiskers_are_the_95_percent_interval():
    """Each whisker runs from the interval's low end to its high end."""
    figure, _ = forest_figure(metric="acc", mode="max", rows=ROWS)
    leader = figure["data"][0]
    assert leader["x"][0] + leader["error_x"]["array"][0] == pytest.approx(ROWS[0]["ci_high"])
    assert leader["x"][0] - leader["error_x"]["arrayminus"][0] == pytest.approx(ROWS[0]["ci_low"])


def test_forest_hover_has_n_interval_p_and_verdict():
    """Hovering a setting tells its n, mean, interval, p-value, P(leader better), verdict."""
    figure, _ = forest_figure(metric="acc", mode="max", rows=ROWS)
    tied = next(t for t in figure["data"] if t["name"] == TIED)
    text = tied["customdata"][0]
    for part in ("n = 4", "95% interval [", "p = ", "P(leader better)", "not separated"):
        assert part in text


def test_forest_hover_says_tied_not_plus_zero():
    """A setting whose mean equals the leader's reads "tied", not "+0"."""
    rows = [_row("best", BEST), _row("twin", BEST[::-1], BEST)]
    figure, _ = forest_figure(metric="acc", mode="max", rows=rows)
    text = next(t for t in figure["data"] if t["name"] == TIED)["customdata"][0]
    assert "Δ vs leader tied" in text and "+0" not in text


def test_forest_escapes_user_text():
    """Labels and the metric name are literal text, not Plotly's HTML."""
    rows = [_row("a", [1.0, 2.0], label="<b>bold</b> & co")]
    figure, _ = forest_figure(metric="<i>acc</i>", mode="max", rows=rows)
    assert figure["data"][0]["y"] == ["&lt;b&gt;bold&lt;/b&gt; &amp; co"]
    assert "&lt;i&gt;acc&lt;/i&gt;" in figure["layout"]["title"]["text"]
    assert "<b>&lt;b&gt;" in figure["data"][0]["customdata"][0]


def test_forest_lists_infinite_means_and_caps_rows():
    """An infinite mean has no place on an axis: it is listed; at most max_rows drawn."""
    rows = [_row("diverged", [-math.inf, 1.0])] + [
        _row(f"s{i}", [float(i), i + 0.5]) for i in range(30)
    ]
    _, info = forest_figure(metric="loss", mode="min", rows=rows, max_rows=25)
    assert info["left_out"] == ["diverged"] and info["drawn"] == 25 and info["cut"] == 5


def test_forest_one_trial_has_no_whisker():
    """A setting of one trial is a dot without an interval, and says so on hover."""
    figure, _ = forest_figure(metric="acc", mode="max", rows=[_row("solo", [0.9])])
    trace = figure["data"][0]
    assert trace["error_x"]["array"] == [0] and "one trial" in trace["customdata"][0]


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


def test_parallel_score_axis_is_the_colour_key():
    """No colour bar repeating the score axis' tick labels beside it; the score axis,
    the lines' colour key, reads four significant digits (its end labels too)."""
    figure = parallel_figure(
        experiments=[_experiment(1, "mlp", {"lr": 0.1}, [0.953044, 0.909022])],
        metric="acc",
        mode="max",
        keys=["lr"],
    )
    trace = figure["data"][0]
    assert trace["line"]["showscale"] is False and "colorbar" not in trace["line"]
    assert trace["dimensions"][-1]["tickformat"] == ".4~g"


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


def test_forest_leaves_room_for_its_longest_label():
    """The left margin grows with the settings' labels (Plotly need not widen it and draw
    the chart again); long labels are not cut."""
    short, _ = forest_figure(metric="acc", mode="max", rows=ROWS)
    rows = [*ROWS[:2], _row("long", ROWS[2]["values"], BEST, "transformer · lr=0.0001, w=1024")]
    long, _ = forest_figure(metric="acc", mode="max", rows=rows)
    assert long["layout"]["margin"]["l"] > short["layout"]["margin"]["l"] + 100
    assert "transformer · lr=0.0001, w=1024" in long["layout"]["yaxis"]["categoryarray"]
