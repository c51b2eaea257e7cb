"""The sweep figures: objective by configuration, importances, parallel coordinates."""

from __future__ import annotations

import doctest
import math

import pytest

from kuro.dashboard import sweep_tables
from kuro.dashboard.figures import sweeps
from kuro.dashboard.figures.sweeps import (
    RELIABLE_CONFIGS,
    importance_figure,
    objective_figure,
    running_best,
    sweep_parallel_figure,
)


def _config(number, mean, *, state="complete", std=0.1, params=None, value="mean", ci=(None, None)):
    return {
        "number": number,
        "experiment_id": 10 + number,
        "params": params or {"lr": 10.0 ** -(number + 1), "act": "relu"},
        "state": state,
        "value": mean if value == "mean" else value,
        "mean": mean,
        "std": std,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "n_complete": 2,
        "status_counts": {"complete": 2},
    }


def test_running_best_follows_the_mode():
    """Minimizing, the running best only goes down and skips unscored configurations."""
    configs = [
        _config(0, 0.5),
        _config(1, 0.7),
        _config(2, 0.3, state="running", value=None),
        _config(3, 0.2),
    ]
    assert running_best(configs, "min") == ([0, 1, 2, 3], [0.5, 0.5, 0.5, 0.2])
    assert running_best(configs, "max") == ([0, 1, 2, 3], [0.5, 0.7, 0.7, 0.7])


def test_running_best_starts_at_the_first_scored_configuration():
    """Nothing is drawn before a configuration is scored."""
    configs = [_config(0, None, state="failed", value=None), _config(1, 0.4)]
    assert running_best(configs, "max") == ([1], [0.4])


def test_objective_points_carry_error_bars_and_state():
    """One point per configuration with a mean, its 95% interval as error bars (none for a
    single trial: NaN), hollow while running."""
    configs = [
        _config(0, 0.5, std=0.05, ci=(0.25, 0.75)),
        _config(1, 0.8, std=None, ci=(math.nan, math.nan)),
        _config(2, 0.6, state="running", value=None, ci=(0.5, 0.625)),
        _config(3, None, state="failed", value=None),
    ]
    figure = objective_figure(configs=configs, objective="acc", mode="max", best_number=1)
    points, best_line, star = figure["data"]
    assert points["x"] == [0, 1, 2] and points["y"] == [0.5, 0.8, 0.6]
    assert points["error_y"]["symmetric"] is False
    assert points["error_y"]["array"] == [0.25, 0.0, pytest.approx(0.025)]
    assert points["error_y"]["arrayminus"] == [0.25, 0.0, pytest.approx(0.1)]
    assert [d[3] for d in points["customdata"]] == [
        "[0.25, 0.75] (95%)",
        "(no interval)",
        "[0.5, 0.625] (95%)",
    ]
    assert points["marker"]["symbol"] == ["circle", "circle", "circle-open"]
    assert best_line["x"] == [0, 1, 2, 3] and best_line["y"] == [0.5, 0.8, 0.8, 0.8]
    assert star["x"] == [1] and star["y"] == [0.8]
    assert figure["layout"]["xaxis"]["range"] == [-0.5, 3.5]
    assert figure["layout"]["xaxis"]["tickformat"] == "d"
    assert "higher is better" in figure["layout"]["title"]["text"]


def test_objective_without_values_is_none():
    """No configuration with a finite mean: no figure (the page shows an empty state)."""
    configs = [_config(0, None, state="running", value=None), _config(1, math.nan)]
    assert objective_figure(configs=configs, objective="acc", mode="max") is None


def test_importance_bars_largest_first():
    """Bars sorted by importance, drawn top-down, labelled as percentages."""
    figure = importance_figure({"act": 0.1, "lr": 0.7, "layers": 0.2})
    (bars,) = figure["data"]
    assert bars["y"] == ["lr", "layers", "act"] and bars["text"] == ["70%", "20%", "10%"]
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"
    assert importance_figure({}) is None


@pytest.mark.parametrize(
    ("scored", "warned"), [(2, True), (9, True), (RELIABLE_CONFIGS, False), (40, False)]
)
def test_importance_says_how_many_configurations_it_rests_on(scored, warned):
    """The chart carries a note of the number of scored configurations, and below ten says
    the ranking is unreliable."""
    figure = importance_figure({"lr": 0.7, "act": 0.3}, scored=scored)
    (note,) = figure["layout"]["annotations"]
    assert f"based on {scored} scored configurations" in note["text"]
    assert ("below 10 the ranking is unreliable" in note["text"]) is warned
    assert note["xref"] == note["yref"] == "paper" and note["showarrow"] is False


def test_integer_parameters_have_integer_ticks():
    """An int parameter's axis is ticked at whole numbers ("d" format; each value when
    few); a float one is left to Plotly."""
    configs = [
        _config(n, 0.1 * n, params={"layers": n % 4 + 1, "width": 64 * (n + 1), "p": n / 3})
        for n in range(12)
    ]
    figure = sweep_parallel_figure(
        configs=configs, objective="acc", mode="max", keys=["layers", "width", "p"]
    )
    layers, width, p, _ = figure["data"][0]["dimensions"]
    assert layers["tickformat"] == "d" and layers["tickvals"] == [1, 2, 3, 4]
    assert width["tickformat"] == "d" and "tickvals" not in width
    assert "tickformat" not in p
    one = sweep_parallel_figure(
        configs=[_config(0, 0.5, params={"layers": 3})],
        objective="acc",
        mode="max",
        keys=["layers"],
    )
    (layers, _) = one["data"][0]["dimensions"]
    assert layers["tickvals"] == [3] and layers["range"] == [2, 4]


def test_parallel_has_an_axis_per_parameter_then_the_objective():
    """Axes in the given order, a log axis for a wide positive range, the mean last."""
    configs = [_config(n, 0.1 * n) for n in range(4)] + [_config(4, None, state="running")]
    figure = sweep_parallel_figure(configs=configs, objective="acc", mode="min", keys=["lr", "act"])
    (trace,) = figure["data"]
    labels = [d["label"] for d in trace["dimensions"]]
    assert labels == ["lr (log)", "act", "acc (mean)"]
    assert trace["dimensions"][-1]["values"] == [0.0, 0.1, 0.2, 0.30000000000000004]
    assert trace["line"]["reversescale"] is True
    assert sweep_parallel_figure(configs=[], objective="acc", mode="min", keys=["lr"]) is None


@pytest.mark.parametrize("module", [sweeps, sweep_tables])
def test_docstring_examples(module):
    """Every example in the sweeps page's docstrings gives what it shows."""
    result = doctest.testmod(module)
    assert result.attempted and not result.failed
