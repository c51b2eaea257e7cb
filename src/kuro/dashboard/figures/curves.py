"""Curves of one metric for several experiments: every trial, the best trial, or the mean
across trials with a band (± std or min-max), with EMA smoothing, log y, and x by step,
wall time or time since the trial started.

Input per experiment (plain data)::

    {"id": 3, "label": "mlp #3 lr=0.1", "color": "#4e79a7", "best_trial": 12,
     "trials": [{"id": 12, "number": 0,
                 "series": {"steps", "values", "times", "count", "sampled"}}]}

where ``series`` is one metric of ``selectors.metric_history`` (values as floats; lists,
or numpy arrays as ``metric_history(arrays=True)`` gives them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kuro.core.downsample import minmax_union
from kuro.dashboard.aggregation import align, band, bucketed, ema
from kuro.dashboard.figures.theme import (
    base_layout,
    plot_text,
    text_width,
    translucent,
)

__all__ = ["AGGREGATIONS", "BANDS", "MAX_POINTS", "X_AXES", "curve_figure"]

AGGREGATIONS = {"all": "All trials", "best": "Best trial", "mean": "Mean across trials"}
BANDS = {"std": "± std", "minmax": "min - max"}
X_AXES = {"step": "Step", "time": "Wall time", "relative": "Hours since start"}
MAX_POINTS = 1000
_DIGITS = 7
"""Significant digits a curve's values are sent with: a float32's, far finer than a chart
can show (hovers show 4), in half the characters of a float64's repr (the curves were 240
of the 570 kB of the compare page's first view, 20 settings x 5 trials; now 150)."""


def _rounded(values: Sequence[float | None] | np.ndarray) -> list[float | None]:
    """``values`` to ``_DIGITS`` significant digits, non-finite ones as None (a gap: JSON
    has no NaN).

    Each value becomes the float nearest to its decimal of ``_DIGITS`` digits (what
    ``float(f"{v:.7g}")`` gives, but for a last digit that a value halfway between two may
    round the other way): its digits as a whole number, rounded, then divided by the power of
    ten, which is exact, so the division rounds once. In numpy calls: a compare page's
    curves send 100,000 values or more.

    >>> _rounded([2.0636520393610747, float("nan"), 1e-12 / 3, 3.0, -123456789.0, 0.0])
    [2.063652, None, 3.333333e-13, 3.0, -123456800.0, 0.0]
    """
    v = np.asarray(values, dtype=np.float64)  # None becomes NaN
    finite = np.isfinite(v)
    out = np.where(finite, v, 0.0)
    with np.errstate(divide="ignore"):
        magnitude = np.floor(np.log10(np.abs(out)))
    shift = (_DIGITS - 1 - magnitude).clip(-300, 300)
    # Powers of ten beyond 1e22 are not exact floats: such values go through text.
    fast = finite & (out != 0) & (np.abs(shift) <= 22)
    up = fast & (shift >= 0)
    down = fast & (shift < 0)
    scale = 10.0 ** np.abs(shift)
    out[up] = np.round(out[up] * scale[up]) / scale[up]
    out[down] = np.round(out[down] / scale[down]) * scale[down]
    rounded: list[float | None] = out.tolist()
    for i in np.flatnonzero(~fast).tolist():
        x = v[i]
        rounded[i] = float(f"{x:.{_DIGITS}g}") if finite[i] else None
    return rounded


def _x(series: Mapping[str, Any], x_axis: str) -> np.ndarray:
    """The x of a series' points: its steps, or its times (lists or arrays, as read)."""
    if x_axis == "step":
        return np.asarray(series["steps"])
    times = np.asarray(series["times"], dtype=np.float64)
    if x_axis == "time":
        return times * 1000  # Plotly dates are milliseconds since the epoch
    start = times[0] if len(times) else 0.0
    return (times - start) / 3600


def _values(series: Mapping[str, Any], smoothing: float) -> Sequence[float] | np.ndarray:
    if smoothing <= 0:
        return series["values"]
    return ema(series["values"], smoothing)


def _line(
    name: str,
    x: Sequence[float | None] | np.ndarray,
    y: Sequence[float | None] | np.ndarray,
    color: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": "scattergl" if len(x) > 2000 else "scatter",
        "mode": "lines",
        "name": name,
        "x": x.tolist() if isinstance(x, np.ndarray) else list(x),
        "y": _rounded(y),
        "line": {"color": color, "width": 2},
        **extra,
    }


def _band(
    name: str,
    x: Sequence[float] | np.ndarray,
    upper: Sequence[float | None] | np.ndarray,
    lower: Sequence[float | None] | np.ndarray,
    color: str,
    **extra: Any,
) -> dict[str, Any]:
    """A band as one filled trace: each run of steps where both edges are finite goes
    along the upper edge and back along the lower one, closed (``fill: "toself"`` fills
    each run apart; a None between runs). As two traces, the lower filled to the upper
    (``tonexty``), it took Plotly about twice as long to draw a chart of 5 settings.

    >>> band = _band("b", [0, 1, 2, 3], [3.0, None, 5.0, 6.0], [1.0, 2.0, 3.0, 4.0], "#000000")
    >>> band["x"], band["y"]
    ([0, 0, None, 2, 3, 3, 2], [3.0, 1.0, None, 5.0, 6.0, 4.0, 3.0])
    """
    top = np.asarray(upper, dtype=np.float64)  # None becomes NaN
    bottom = np.asarray(lower, dtype=np.float64)
    finite = np.isfinite(top) & np.isfinite(bottom)
    # The runs of finite steps: [starts[k], stops[k]) each.
    edges = np.diff(np.r_[0, finite.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    steps = np.asarray(x)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for i, j in zip(starts.tolist(), stops.tolist(), strict=True):
        if xs:
            xs.append(None)
            ys.append(None)
        xs += np.r_[steps[i:j], steps[i:j][::-1]].tolist()
        ys += np.r_[top[i:j], bottom[i:j][::-1]].tolist()
    return _line(
        name,
        xs,
        ys,
        color,
        type="scattergl" if len(x) > 2000 else "scatter",  # as its mean line
        line={"width": 0, "color": color},
        fill="toself",
        fillcolor=translucent(color, 0.18),
        showlegend=False,
        hoverinfo="skip",
        meta="band",
        **extra,
    )


def _trial_traces(
    experiment: Mapping[str, Any],
    trials: Sequence[Mapping[str, Any]],
    smoothing: float,
    x_axis: str,
) -> list[dict[str, Any]]:
    traces = []
    for i, trial in enumerate(trials):
        series = trial["series"]
        traces.append(
            _line(
                f"{experiment['label']} · trial {trial['number']}",
                _x(series, x_axis),
                _values(series, smoothing),
                experiment["color"],
                legendgroup=str(experiment["id"]),
                showlegend=i == 0 or len(trials) == 1,
                opacity=1.0 if len(trials) == 1 else 0.75,
                hovertemplate="%{y:.4g}<extra>%{fullData.name}</extra>",
            )
        )
    if len(trials) > 1:  # one legend entry per experiment, named as the experiment
        traces[0]["name"] = experiment["label"]
        for trace in traces:
            trace["line"]["width"] = 1.4
    return traces


def _mean_traces(
    experiment: Mapping[str, Any],
    trials: Sequence[Mapping[str, Any]],
    band_kind: str,
    smoothing: float,
    x_axis: str,
    max_points: int,
) -> tuple[list[dict[str, Any]], bool, bool]:
    """A band and a mean line; whether they were decimated (``minmax_union``), and
    whether the trials were averaged bucket by bucket (``bucketed``)."""
    series = [t["series"] for t in trials]
    points = [(s["steps"], _values(s, smoothing)) for s in series]
    xs: np.ndarray | None = None
    bucketwise = any(s["sampled"] for s in series)
    if bucketwise:
        # Each trial's points are its own buckets' extremes, at steps of its own: the trials
        # are compared bucket by bucket, on at most max_points / 2 buckets.
        extra = None if x_axis == "step" else [_x(s, x_axis) for s in series]
        grid = bucketed(points, (max_points - 2) // 2, extra)
        steps, xs = grid.steps, grid.extra
        stats = band(grid.means, band_kind)
        if band_kind == "minmax":  # every point of every trial inside the band
            stats["lower"] = band(grid.lows, "minmax")["lower"]
            stats["upper"] = band(grid.highs, "minmax")["upper"]
    else:
        steps, rows = align(points)
        stats = band(rows, band_kind)
        if x_axis != "step":
            _, xs = align([(s["steps"], _x(s, x_axis)) for s in series])
    x: np.ndarray = steps if xs is None else band(xs, "std")["mean"]
    keep = None
    if len(steps) > max_points:  # trials read in full, whose steps together are too many
        # The extremes of the band's edges as well as the mean's: a spike of one trial is
        # kept in the band even where the mean smooths it away.
        keep = minmax_union([stats[k] for k in ("mean", "lower", "upper")], max_points)
        x = x[keep]
        stats = {k: v[keep] for k, v in stats.items()}
    group = str(experiment["id"])
    color = experiment["color"]
    n = len(trials)
    # How many trials each step's mean is of: the same at every step (the common case) is
    # said once, in the hover template, not sent per point.
    counts = {"hovertemplate": f"%{{y:.4g}} (n={n})<extra>%{{fullData.name}}</extra>"}
    if (stats["n"] != n).any():
        counts = {
            "customdata": stats["n"].tolist(),
            "hovertemplate": "%{y:.4g} (n=%{customdata})<extra>%{fullData.name}</extra>",
        }
    traces = [
        _band(
            f"{experiment['label']} {BANDS[band_kind]}",
            x,
            stats["upper"],
            stats["lower"],
            color,
            legendgroup=group,
        ),
        _line(
            f"{experiment['label']} (mean of {n})",
            x,
            stats["mean"],
            color,
            legendgroup=group,
            **counts,
        ),
    ]
    return traces, keep is not None, bucketwise


_PLOT_HEIGHT = 236  # px
_LEGEND_GAP = 30  # px from the plot to the legend below it
_LEGEND_ROW = 29  # px, a row of the legend (its font is 11 px: ``theme.base_layout``)
_LEGEND_WIDTH = 560  # px a row has, about: the plot's width in a chart half a wide page across


def _legend_rows(names: Sequence[str]) -> int:
    """About how many rows a horizontal legend of ``names`` takes: Plotly lines the entries
    up in columns as wide as the widest (its symbol, 40 px, and its text)."""
    widest = 40 + max(text_width(str(name), 11) for name in names)
    per_row = max(1, int(_LEGEND_WIDTH // widest))
    return -(-len(names) // per_row)


def curve_figure(
    *,
    metric: str,
    experiments: Sequence[Mapping[str, Any]],
    aggregation: str = "mean",
    band_kind: str = "std",
    smoothing: float = 0.0,
    log_y: bool = False,
    x_axis: str = "step",
    max_points: int = MAX_POINTS,
    show_legend: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The figure, and ``{"sampled": bool, "bucketed": bool, "count": full points,
    "shown": points drawn}`` (``count``: the points of the series read, a zoomed range's
    when only it was read; ``bucketed``: a mean of downsampled trials taken bucket by
    bucket)."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"aggregation is one of {list(AGGREGATIONS)}, not {aggregation!r}")
    if x_axis not in X_AXES:
        raise ValueError(f"x axis is one of {list(X_AXES)}, not {x_axis!r}")
    traces: list[dict[str, Any]] = []
    sampled = bucketed_any = False
    count = 0
    for experiment in experiments:
        trials = [t for t in experiment["trials"] if t.get("series")]
        if not trials:
            continue
        sampled |= any(t["series"]["sampled"] for t in trials)
        count += sum(t["series"]["count"] for t in trials)
        if aggregation == "best":
            trials = [t for t in trials if t["id"] == experiment.get("best_trial")] or trials[:1]
        if aggregation == "mean" and len(trials) > 1:
            new, resampled, bucketwise = _mean_traces(
                experiment, trials, band_kind, smoothing, x_axis, max_points
            )
            sampled |= resampled
            bucketed_any |= bucketwise
        else:
            new = _trial_traces(experiment, trials, smoothing, x_axis)
        traces += new
    shown = sum(len(t["x"]) for t in traces if t.get("meta") != "band")
    entries = [t["name"] for t in traces if t.get("showlegend", True)] if show_legend else []
    for trace in traces:  # user text: literal, not Plotly's HTML
        trace["name"] = plot_text(trace["name"])
    # The x axis is named in the title, so the legend below the chart covers no axis title.
    title = (
        f"{plot_text(metric)} <span style='color:#7a8699;font-size:12px'>"
        f"by {X_AXES[x_axis].lower()}</span>"
    )
    # The legend's rows below the plot, in a bottom margin made for them: a legend Plotly
    # had to make room for (automargin) cost a second drawing of the chart.
    bottom = _LEGEND_GAP + _LEGEND_ROW * _legend_rows(entries) + 14 if entries else 64
    plot_height = _PLOT_HEIGHT
    height = 40 + plot_height + bottom
    layout = base_layout(
        title={"text": title, "x": 0.01, "font": {"size": 14}},
        margin={"t": 40, "b": bottom},
        legend={"orientation": "h", "x": 0, "y": -_LEGEND_GAP / plot_height, "yanchor": "top"},
        meta=metric,
        xaxis={"type": "date" if x_axis == "time" else "-"},
        yaxis={"type": "log" if log_y else "linear"},
        hovermode="x unified" if aggregation != "all" else "closest",
        height=height,
        uirevision=metric,  # keep the user's zoom across refreshes
    )
    if not show_legend:  # else Plotly's default: a legend from two traces on
        layout["showlegend"] = False
    return {"data": traces, "layout": layout}, {
        "sampled": sampled,
        "bucketed": bucketed_any,
        "count": count,
        "shown": shown,
    }
