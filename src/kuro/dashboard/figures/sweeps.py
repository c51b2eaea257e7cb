"""Figures of a sweep: the objective against configuration number with the running best,
and Optuna's parameter importances.

Pure: they take ``selectors.sweep_detail``'s configuration rows (values as floats) and
``selectors.sweep_importance``'s mapping, and answer plain figure dicts. JSON cannot draw
NaN or infinities: configurations without a finite mean are left out of the points (the
table and the best card show them), and an infinite best so far ends the step line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.core.modes import Mode, is_better
from kuro.dashboard.figures.parallel import parallel_lines
from kuro.dashboard.figures.theme import base_layout, color, plot_text

__all__ = [
    "RELIABLE_CONFIGS",
    "importance_figure",
    "objective_figure",
    "params_text",
    "running_best",
    "sweep_parallel_figure",
]

BEST = "#e15759"
RELIABLE_CONFIGS = 10
"""Below this many scored configurations, fANOVA's ranking of the parameters is noise."""


def params_text(params: Mapping[str, Any], *, sep: str = ", ") -> str:
    """A configuration's parameters for people: ``lr=0.001, act=relu``.

    >>> params_text({"lr": 0.00123456789, "act": "relu", "layers": 3})
    'lr=0.001235, act=relu, layers=3'
    """
    shown = []
    for key, value in params.items():
        if isinstance(value, float):
            text = f"{value:.4g}"  # four significant digits, as every label
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value)
        else:
            text = json.dumps(value)
        shown.append(f"{key}={text}")
    return sep.join(shown)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    return _number(value) and math.isfinite(value)


def _zip(configs: Sequence[Mapping[str, Any]], intervals: Sequence[_Interval]) -> Any:
    return zip(configs, intervals, strict=True)


_Interval = tuple[float | None, float | None]


def _interval(config: Mapping[str, Any]) -> _Interval:
    """A configuration's 95% interval of the mean, or (None, None) without one."""
    low: Any = config.get("ci_low")
    high: Any = config.get("ci_high")
    if _finite(low) and _finite(high):
        return float(low), float(high)
    return None, None


def _interval_text(low: float | None, high: float | None) -> str:
    """``[low, high]`` for a hover, or why there is none.

    >>> _interval_text(0.25, 0.5), _interval_text(None, None)
    ('[0.25, 0.5] (95%)', '(no interval)')
    """
    return "(no interval)" if low is None or high is None else f"[{low:.4g}, {high:.4g}] (95%)"


def running_best(configs: Sequence[Mapping[str, Any]], mode: Mode) -> tuple[list[int], list[float]]:
    """The best scored value so far at each configuration number, from the first scored one
    and while it is finite (an infinite value is the best there is, and cannot be drawn).

    >>> running_best([{"number": 0, "state": "complete", "value": 0.5},
    ...               {"number": 1, "state": "running", "value": None},
    ...               {"number": 2, "state": "complete", "value": 0.4},
    ...               {"number": 3, "state": "complete", "value": 0.7}], "max")
    ([0, 1, 2, 3], [0.5, 0.5, 0.5, 0.7])
    >>> running_best([{"number": 0, "state": "complete", "value": 0.5},
    ...               {"number": 1, "state": "complete", "value": float("-inf")}], "min")
    ([0], [0.5])
    """
    numbers: list[int] = []
    values: list[float] = []
    best = math.nan
    for config in sorted(configs, key=lambda c: c["number"]):
        value: Any = config.get("value")
        if config.get("state") == "complete" and _number(value) and is_better(value, best, mode):
            best = float(value)
        if math.isfinite(best):
            numbers.append(config["number"])
            values.append(best)
    return numbers, values


def objective_figure(
    *,
    configs: Sequence[Mapping[str, Any]],
    objective: str,
    mode: Mode,
    best_number: int | None = None,
) -> dict[str, Any] | None:
    """Each configuration's mean objective over its complete trials with the 95% interval
    of the mean as error bars (none for a single trial; hollow while the configuration
    still runs), the running best as a step line and the best configuration as a star;
    None when no configuration has a value yet."""
    shown = sorted((c for c in configs if _finite(c.get("mean"))), key=lambda c: c["number"])
    if not shown:
        return None
    intervals = [_interval(c) for c in shown]
    points = {
        "type": "scatter",
        "mode": "markers",
        "name": "configuration (mean, 95% interval)",
        "x": [c["number"] for c in shown],
        "y": [c["mean"] for c in shown],
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": [
                0.0 if hi is None else hi - c["mean"] for c, (_, hi) in _zip(shown, intervals)
            ],
            "arrayminus": [
                0.0 if lo is None else c["mean"] - lo for c, (lo, _) in _zip(shown, intervals)
            ],
            "visible": True,
            "color": "#9aa5b4",
            "thickness": 1.2,
            "width": 3,
        },
        "marker": {
            "size": 9,
            "color": color(0),
            "symbol": ["circle" if c["state"] == "complete" else "circle-open" for c in shown],
            "line": {"width": 1.5, "color": color(0)},
        },
        "customdata": [
            [
                c["n_complete"],
                c["state"],
                plot_text(params_text(c.get("params") or {}, sep="\n")).replace("\n", "<br>"),
                _interval_text(lo, hi),
            ]
            for c, (lo, hi) in _zip(shown, intervals)
        ],
        "hovertemplate": (
            "configuration #%{x} (%{customdata[1]})<br>mean %{y:.4g} %{customdata[3]}"
            " over %{customdata[0]} trials<br>%{customdata[2]}<extra></extra>"
        ),
    }
    data = [points]
    numbers, bests = running_best(configs, mode)
    if numbers:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "best so far",
                "x": numbers,
                "y": bests,
                "line": {"shape": "hv", "color": BEST, "width": 2},
                "hovertemplate": "best so far at #%{x}: %{y:.4g}<extra></extra>",
            }
        )
    best = next((c for c in shown if c["number"] == best_number), None)
    if best is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"best: #{best['number']}",
                "x": [best["number"]],
                "y": [best["mean"]],
                "marker": {
                    "symbol": "star",
                    "size": 17,
                    "color": BEST,
                    "line": {"width": 1, "color": "#ffffff"},
                },
                "hoverinfo": "skip",
            }
        )
    direction = "higher is better" if mode == "max" else "lower is better"
    layout = base_layout(
        title={
            "text": f"{plot_text(objective)} <span style='color:#7a8699'>({direction})</span>",
            "x": 0.01,
        },
        height=380,
        margin={"l": 56, "r": 16, "t": 44, "b": 44},
        xaxis={"title": {"text": "configuration number"}},
        yaxis={"title": {"text": f"{plot_text(objective)} (mean over trials)"}},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        showlegend=True,
    )
    proposed = [c["number"] for c in configs]
    # Half a configuration of room on each side, so the first and last points are whole.
    layout["xaxis"]["range"] = [min(proposed) - 0.5, max(proposed) + 0.5]
    layout["xaxis"]["tickformat"] = "d"  # configuration numbers: never 2.5
    if max(proposed) - min(proposed) < 20:  # whole numbers only, never 0.5 ticks
        layout["xaxis"]["dtick"] = 1
    return {"data": data, "layout": layout}


def importance_note(scored: int) -> str:
    """What the importances rest on, and a warning while they are too few to rank by.

    >>> importance_note(4)
    'based on 4 scored configurations; below 10 the ranking is unreliable'
    >>> importance_note(12)
    'based on 12 scored configurations'
    """
    note = f"based on {scored} scored configuration" + ("" if scored == 1 else "s")
    if scored < RELIABLE_CONFIGS:
        note += f"; below {RELIABLE_CONFIGS} the ranking is unreliable"
    return note


def importance_figure(
    importances: Mapping[str, float], *, scored: int | None = None
) -> dict[str, Any] | None:
    """Horizontal bars of the importances (shares that add up to one), the largest at the
    top, with ``importance_note(scored)`` above them (in the warning colour below
    ``RELIABLE_CONFIGS``); None when there are none."""
    ranked = sorted(importances.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked:
        return None
    names = [plot_text(k) for k, _ in ranked]
    values = [v for _, v in ranked]
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": values,
        "y": names,
        "marker": {"color": color(0)},
        "text": [f"{v:.0%}" for v in values],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{y}: %{x:.1%} of the variance<extra></extra>",
    }
    layout = base_layout(
        height=max(160, 70 + 32 * len(ranked)),
        margin={"l": 8, "r": 40, "t": 16, "b": 40},
        yaxis={"autorange": "reversed", "ticks": "", "automargin": True},
        xaxis={
            "range": [0, min(1.0, max(values) * 1.15) or 1.0],
            "tickformat": ".0%",
            "title": {"text": "share of the objective's variance (fANOVA)"},
        },
        bargap=0.3,
        showlegend=False,
    )
    if scored is not None:
        unreliable = scored < RELIABLE_CONFIGS
        layout["margin"]["t"] = 40
        layout["height"] += 24
        layout["annotations"] = [
            {
                "text": ("⚠ " if unreliable else "") + importance_note(scored),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "yshift": 12,
                "xanchor": "left",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 12, "color": "#b35c00" if unreliable else "#7a8699"},
                "name": "importance-note",
            }
        ]
    return {"data": [trace], "layout": layout}


def sweep_parallel_figure(
    *,
    configs: Sequence[Mapping[str, Any]],
    objective: str,
    mode: Mode,
    keys: Sequence[str],
) -> dict[str, Any] | None:
    """Parallel coordinates: each configuration a line through its parameters (``keys``, in
    this order) to its mean objective; None when no configuration has a value yet."""
    rows = [(c.get("params") or {}, c["mean"]) for c in configs if _finite(c.get("mean"))]
    if not rows:
        return None
    return parallel_lines(
        rows=rows, columns=keys, metric=objective, label=f"{objective} (mean)", mode=mode
    )
