"""Curve figures: traces per aggregation mode, bands, downsampling that keeps extremes."""

from __future__ import annotations

import math

import pytest

from kuro.core.downsample import minmax_indices
from kuro.dashboard.figures.curves import curve_figure


def _series(values, sampled=False, count=None, start=0):
    steps = list(range(start, start + len(values)))
    return {
        "steps": steps,
        "values": values,
        "times": [1_800_000_000.0 + s for s in steps],
        "count": count or len(values),
        "sampled": sampled,
    }


def _experiment(eid, trials, best=None):
    return {
        "id": eid,
        "label": f"e{eid}",
        "color": "#4e79a7",
        "best_trial": best,
        "trials": [{"id": eid * 10 + i, "number": i, "series": s} for i, s in enumerate(trials)],
    }


EXPERIMENTS = [
    _experiment(1, [_series([1.0, 2.0, 3.0]), _series([3.0, 4.0, 5.0])], best=11),
    _experiment(2, [_series([0.0, 0.0, math.nan]), _series([2.0, 2.0, 2.0])], best=20),
]


@pytest.mark.parametrize(("aggregation", "n_traces"), [("all", 4), ("best", 2), ("mean", 4)])
def test_trace_count_by_aggregation(aggregation, n_traces):
    """All trials: one trace each; best: one per experiment; mean: a band and a mean line."""
    figure, info = curve_figure(metric="loss", experiments=EXPERIMENTS, aggregation=aggregation)
    assert len(figure["data"]) == n_traces
    assert not info["sampled"]


def test_best_mode_draws_the_best_trial():
    """Best trial mode draws the trial named as best."""
    figure, _ = curve_figure(metric="loss", experiments=EXPERIMENTS, aggregation="best")
    assert figure["data"][0]["y"] == [3.0, 4.0, 5.0]


def test_mean_band_is_std_around_mean():
    """The mean line is the per-step mean and the band ± std; NaN leaves a gap as None."""
    figure, _ = curve_figure(metric="loss", experiments=EXPERIMENTS, aggregation="mean")
    band, mean = figure["data"][:2]
    assert mean["y"] == [2.0, 3.0, 4.0]
    # One closed shape: along the upper edge, back along the lower one.
    assert band["fill"] == "toself" and band["meta"] == "band"
    assert band["x"] == [0, 1, 2, 2, 1, 0]
    r = 2**0.5
    assert band["y"] == pytest.approx([2 + r, 3 + r, 4 + r, 4 - r, 3 - r, 2 - r])
    second_band, second_mean = figure["data"][2:]
    assert second_mean["y"] == [1.0, 1.0, 2.0]
    assert second_band["y"][2:4] == [2.0, 2.0]  # one finite value: zero-width band


def test_minmax_band():
    """The min-max band spans the trials' extremes."""
    figure, _ = curve_figure(
        metric="loss", experiments=EXPERIMENTS[:1], aggregation="mean", band_kind="minmax"
    )
    assert figure["data"][0]["y"] == [3.0, 4.0, 5.0, 3.0, 2.0, 1.0]  # max, then min back


def test_smoothing_log_and_time_axis():
    """Smoothing changes values, log y sets the axis, wall time is in milliseconds."""
    figure, _ = curve_figure(
        metric="loss",
        experiments=EXPERIMENTS[:1],
        aggregation="all",
        smoothing=0.9,
        log_y=True,
        x_axis="time",
    )
    assert figure["layout"]["yaxis"]["type"] == "log"
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert figure["data"][0]["x"][0] == 1_800_000_000_000.0
    assert figure["data"][0]["y"][0] == 1.0 and figure["data"][0]["y"][2] < 3.0


def test_relative_time_axis_in_hours():
    """Relative time counts hours from each trial's first point."""
    figure, _ = curve_figure(
        metric="loss", experiments=EXPERIMENTS[:1], aggregation="all", x_axis="relative"
    )
    assert figure["data"][0]["x"] == [0.0, 1 / 3600, 2 / 3600]


def test_sampled_series_are_reported():
    """A sampled input series makes the chart say so, with the full count."""
    experiments = [_experiment(1, [_series([1.0, 2.0], sampled=True, count=5000)])]
    _, info = curve_figure(metric="loss", experiments=experiments, aggregation="all")
    assert info == {"sampled": True, "bucketed": False, "count": 5000, "shown": 2}


def test_mean_of_long_series_is_downsampled_keeping_extremes():
    """The mean of long series is drawn with at most max_points, keeping its spike."""
    values = [1.0] * 5000
    values[2345] = 50.0
    experiments = [_experiment(1, [_series(values), _series(values)])]
    figure, info = curve_figure(
        metric="loss", experiments=experiments, aggregation="mean", max_points=1000
    )
    mean = figure["data"][1]
    assert len(mean["x"]) <= 1000
    assert max(mean["y"]) == 50.0 and 2345 in mean["x"]
    assert info["sampled"]


@pytest.mark.parametrize("band_kind", ["minmax", "std"])
def test_thinned_mean_keeps_the_bands_extremes_too(band_kind):
    """Trials read in full whose steps together pass max_points: a spike of one trial that
    the mean smooths away (another trial dips as much at that step) stays in the band."""
    up, down = [1.0] * 5000, [1.0] * 5000
    up[3210], down[3210] = 50.0, -48.0
    experiments = [_experiment(1, [_series(up), _series(down)])]
    figure, info = curve_figure(
        metric="loss",
        experiments=experiments,
        aggregation="mean",
        band_kind=band_kind,
        max_points=1000,
    )
    band, mean = figure["data"]
    assert len(mean["x"]) <= 1000 and info["sampled"]
    assert 3210 in mean["x"] and max(mean["y"]) == 1.0  # the mean there is 1.0
    edges = [y for y in band["y"] if y is not None]  # the upper edge, then the lower back
    assert max(edges) >= 25.0 and min(edges) <= -24.0


def test_thinned_mean_keeps_as_many_points_as_it_may():
    """The band's edges moving with the mean (their extremes at the mean's steps): the
    thinned chart still draws nearly max_points, not a third of them."""
    wave = [math.sin(step / 50) for step in range(5000)]
    shifted = [v + 0.2 for v in wave]
    experiments = [_experiment(1, [_series(wave), _series(shifted)])]
    for max_points in (12, 1000):
        figure, _ = curve_figure(
            metric="loss", experiments=experiments, aggregation="mean", max_points=max_points
        )
        mean = figure["data"][1]
        assert 0.9 * max_points <= len(mean["x"]) <= max_points
        assert mean["x"][0] == 0 and mean["x"][-1] == 4999


def test_mean_of_sampled_trials_is_taken_bucket_by_bucket():
    """Downsampled trials (each its own buckets' extremes, at its own steps) are compared on
    one grid of buckets: at most max_points / 2 however long they are, in step order, and a
    min-max band that holds every trial's extremes."""
    first = [float(i % 5) for i in range(0, 20_000, 2)]
    second = [float(i % 7) for i in range(1, 20_001, 2)]
    second[2345] = 50.0
    experiments = [
        _experiment(
            1,
            [
                {**_series(first, sampled=True, count=100_000), "steps": list(range(0, 20_000, 2))},
                {
                    **_series(second, sampled=True, count=100_000),
                    "steps": list(range(1, 20_001, 2)),
                },
            ],
        )
    ]
    figure, info = curve_figure(
        metric="loss", experiments=experiments, aggregation="mean", band_kind="minmax"
    )
    band, mean = figure["data"]
    assert len(mean["x"]) == 499 and mean["x"] == sorted(mean["x"])
    assert all(isinstance(x, int) for x in mean["x"])
    assert max(y for y in band["y"] if y is not None) == 50.0
    assert min(y for y in band["y"] if y is not None) == 0.0
    assert info == {"sampled": True, "bucketed": True, "count": 200_000, "shown": len(mean["x"])}
    timed, _ = curve_figure(
        metric="loss", experiments=experiments, aggregation="mean", x_axis="relative"
    )
    assert len(timed["data"][1]["x"]) == len(mean["x"])


def test_minmax_downsampling_keeps_extremes():
    """The server's downsampling keeps the first, the last, the minimum and the maximum."""
    values = [float(i % 7) for i in range(10_000)]
    values[1234], values[8765] = -100.0, 100.0
    keep = minmax_indices(values, 1000).tolist()
    assert len(keep) <= 1000
    assert {0, 9999, 1234, 8765} <= set(keep)


def test_unknown_options_are_refused():
    """A typo in a mode is an error, not a silent default."""
    with pytest.raises(ValueError):
        curve_figure(metric="m", experiments=[], aggregation="median")
    with pytest.raises(ValueError):
        curve_figure(metric="m", experiments=[], x_axis="epoch")


def test_legend_rows_have_their_room_below_the_plot():
    """The bottom margin holds the legend's rows and the plot keeps its height: more
    settings, or longer names, make a taller figure, not a flatter plot."""
    one, _ = curve_figure(metric="loss", experiments=EXPERIMENTS[:1], aggregation="all")
    two, _ = curve_figure(metric="loss", experiments=EXPERIMENTS, aggregation="all")
    label = "a setting with a name long enough to take half a legend row, number {}"
    named = [{**e, "label": label.format(e["id"])} for e in EXPERIMENTS]
    long, _ = curve_figure(metric="loss", experiments=named, aggregation="all")
    plots = {f["layout"]["height"] - 40 - f["layout"]["margin"]["b"] for f in (one, two, long)}
    assert len(plots) == 1  # the same plot height
    assert one["layout"]["margin"]["b"] <= two["layout"]["margin"]["b"]
    assert two["layout"]["margin"]["b"] < long["layout"]["margin"]["b"]  # a row each


def test_values_are_sent_to_seven_significant_digits():
    """A curve's values go to the browser rounded to 7 significant digits (a float32's,
    finer than any chart shows): about half the characters of a float64's."""
    values = [2.0636520393610747, 1 / 3, -12345.678912, 1e-9 / 7]
    experiments = [_experiment(1, [_series(values)])]
    figure, _ = curve_figure(metric="loss", experiments=experiments, aggregation="all")
    assert figure["data"][0]["y"] == [2.063652, 0.3333333, -12345.68, 1.428571e-10]


def test_mean_hover_counts_trials_once_when_every_step_has_all():
    """The mean's hover says of how many trials it is: in its template when every step has
    them all, per point (``customdata``) when some step has fewer."""
    figure, _ = curve_figure(metric="loss", experiments=EXPERIMENTS, aggregation="mean")
    full, partial = figure["data"][1], figure["data"][3]
    assert "customdata" not in full and "(n=2)" in full["hovertemplate"]
    assert partial["customdata"] == [2, 2, 1]
    assert "%{customdata}" in partial["hovertemplate"]


def test_band_gaps_split_its_shape():
    """Steps where the band has no finite edge split it: each run is its own closed shape,
    a None between them, so no fill spans the gap."""
    experiments = [
        _experiment(1, [_series([1.0, math.nan, 3.0, 4.0]), _series([3.0, math.nan, 5.0, 6.0])])
    ]
    figure, _ = curve_figure(
        metric="loss", experiments=experiments, aggregation="mean", band_kind="minmax"
    )
    band = figure["data"][0]
    assert band["x"] == [0, 0, None, 2, 3, 3, 2]
    assert band["y"] == pytest.approx([3.0, 1.0, None, 5.0, 6.0, 4.0, 3.0])
