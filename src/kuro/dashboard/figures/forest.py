"""The winner chart: each setting's mean with its 95% interval (a dot-and-whisker "forest"
plot), ranked with the leader on top, on an axis zoomed to the data so that 0.88 and 0.94
look different.

The leader is a star and its interval a shaded column; a setting whose interval test
against the leader does not separate them is an open diamond on a shaded row (it may be
as good); a setting separated from the leader is a grey dot. Labels are on the y axis, so
the legend only names the three marks.

Input rows are ``kuro.dashboard.comparison.settings`` rows (floats, NaN as ``math.nan``).
Settings whose mean is infinite cannot be placed on an axis: the figure's info lists them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from kuro.dashboard.figures.theme import base_layout, plot_text, text_width
from kuro.dashboard.formats import value_text

__all__ = ["LEADER", "MAX_ROWS", "SEPARATED", "TIED", "forest_figure"]

MAX_ROWS = 25
LEADER, TIED, SEPARATED = "leader", "not separated from the leader", "behind the leader"
_COLORS = {LEADER: "#0072B2", TIED: "#D55E00", SEPARATED: "#7a8699"}  # Okabe-Ito
_SYMBOLS = {LEADER: "star", TIED: "diamond-open", SEPARATED: "circle"}
_TIED_FILL = "rgba(230,159,0,0.14)"
_LEADER_FILL = "rgba(0,114,178,0.08)"


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def kind(row: Mapping[str, Any]) -> str:
    """A setting's mark: the leader, not separated from it, or behind it."""
    against = row.get("versus_leader")
    if against is None:
        return LEADER
    return SEPARATED if against.get("separated") else TIED


def _percent(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.0%}"


def _hover(row: Mapping[str, Any]) -> list[str]:
    against = row.get("versus_leader") or {}
    interval = (
        f"[{value_text(row['ci_low'])}, {value_text(row['ci_high'])}]"
        if _finite(row["ci_low"])
        else "— (one trial, or infinite values)"
    )
    lines = [
        f"<b>{plot_text(line)}</b>" if i == 0 else plot_text(line)
        for i, line in enumerate(row["hover"])
    ]
    lines += [
        f"n = {row['n']} trials · mean {value_text(row['mean'])}",
        f"95% interval {interval}",
    ]
    if against:
        difference = against.get("difference")
        gap = "tied" if difference == 0 else value_text(difference, "+.4g")
        lines += [
            f"Δ vs leader {gap} · p = {value_text(against.get('p_value'), '.2g')}",
            f"P(leader better) {_percent(against.get('probability_of_improvement'))}",
            plot_text(against.get("verdict") or ""),
        ]
    else:
        lines.append("the leader")
    return lines


def _unique(labels: list[str]) -> list[str]:
    """Category labels must differ, or Plotly draws two settings on one row."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def forest_figure(
    *,
    metric: str,
    mode: str,
    rows: Sequence[Mapping[str, Any]],
    statistic: str = "each trial's best",
    max_rows: int = MAX_ROWS,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The figure, and ``{"drawn": n, "left_out": [labels of settings with an infinite
    mean], "cut": settings beyond max_rows}``."""
    with_value = [r for r in rows if r["n"] and not math.isnan(r["mean"])]
    infinite = [r for r in with_value if not math.isfinite(r["mean"])]
    finite = [r for r in with_value if math.isfinite(r["mean"])]
    drawn = finite[:max_rows]
    labels = _unique([plot_text(r["label"]) for r in drawn])
    traces = []
    for name in (LEADER, TIED, SEPARATED):
        mine = [(i, r) for i, r in enumerate(drawn) if kind(r) == name]
        if not mine:
            continue
        means = [r["mean"] for _, r in mine]
        plus = [r["ci_high"] - r["mean"] if _finite(r["ci_high"]) else 0 for _, r in mine]
        minus = [r["mean"] - r["ci_low"] if _finite(r["ci_low"]) else 0 for _, r in mine]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "meta": name,
                "x": means,
                "y": [labels[i] for i, _ in mine],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": plus,
                    "arrayminus": minus,
                    "color": _COLORS[name],
                    "thickness": 2,
                    "width": 5,
                },
                "marker": {
                    "color": _COLORS[name],
                    "symbol": _SYMBOLS[name],
                    "size": 14 if name == LEADER else 10,
                    "line": {"width": 2, "color": _COLORS[name]},
                },
                "customdata": ["<br>".join(_hover(r)) for _, r in mine],
                "hovertemplate": "%{customdata}<extra></extra>",
            }
        )
    shapes: list[dict[str, Any]] = []
    leader = drawn[0] if drawn and kind(drawn[0]) == LEADER else None
    if leader is not None:
        if _finite(leader["ci_low"]):
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": leader["ci_low"],
                    "x1": leader["ci_high"],
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": _LEADER_FILL,
                    "line": {"width": 0},
                    "layer": "below",
                    "name": "leader interval",
                }
            )
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": leader["mean"],
                "x1": leader["mean"],
                "y0": 0,
                "y1": 1,
                "line": {"color": _COLORS[LEADER], "width": 1, "dash": "dot"},
                "layer": "below",
                "name": "leader mean",
            }
        )
    for i, r in enumerate(drawn):
        if kind(r) == TIED:  # a shaded row: may be as good as the leader
            shapes.append(
                {
                    "type": "rect",
                    "xref": "paper",
                    "yref": "y",
                    "x0": 0,
                    "x1": 1,
                    "y0": i - 0.5,
                    "y1": i + 0.5,
                    "fillcolor": _TIED_FILL,
                    "line": {"width": 0},
                    "layer": "below",
                    "name": "not separated",
                }
            )
    ends = [v for r in drawn for v in (r["mean"], r["ci_low"], r["ci_high"]) if _finite(v)]
    xaxis: dict[str, Any] = {"zeroline": False, "showgrid": True, "tickformat": ".4~g"}
    if ends:
        lo, hi = min(ends), max(ends)
        pad = (hi - lo) * 0.08 or max(abs(hi) * 0.01, 1e-9)
        xaxis["range"] = [lo - pad, hi + pad]
    direction = "higher is better" if mode == "max" else "lower is better"
    title = (
        f"{plot_text(metric)} <span style='color:#7a8699;font-size:12px'>"
        f"mean of {plot_text(statistic)}, 95% interval · {direction}</span>"
    )
    height = max(210, 120 + 30 * len(drawn))
    plot_height = height - 40 - 70
    # Room for the labels from the start: a margin Plotly had to widen for them (automargin)
    # cost a second drawing of the chart.
    left = 14 + max((text_width(r["label"]) for r in drawn), default=0)
    layout = base_layout(
        title={"text": title, "x": 0.01, "font": {"size": 14}},
        height=height,
        margin={"l": math.ceil(left), "r": 16, "t": 40, "b": 70},
        xaxis=xaxis,
        # Rows in rank order whatever the trace order (the shaded rows count on it).
        yaxis={
            "autorange": "reversed",
            "ticks": "",
            "automargin": True,
            "type": "category",
            "categoryorder": "array",
            "categoryarray": labels,
        },
        shapes=shapes,
        showlegend=True,
        # Below the tick labels (there is no axis title): 28 px under the plot area.
        legend={"orientation": "h", "x": 0, "y": -28 / plot_height, "yanchor": "top"},
        hovermode="closest",
    )
    info = {
        "drawn": len(drawn),
        "left_out": [r["label"] for r in infinite],
        "cut": max(0, len(finite) - max_rows),
    }
    return {"data": traces, "layout": layout}, info
