"""The curve charts of a selection: one card per series metric, a caption when sampled.

Pure: the page reads the histories (``selectors.metric_history``) and passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from kuro.dashboard.aggregation import best_trial, counted_trials
from kuro.dashboard.components.cards import note
from kuro.dashboard.components.chart import chart
from kuro.dashboard.figures.curves import curve_figure
from kuro.dashboard.tables import experiment_colors

__all__ = ["curve_card", "curve_charts", "series_metrics"]


def series_metrics(experiments: Sequence[Mapping[str, Any]]) -> list[str]:
    """Metrics that some trial of ``experiments`` logged at more than one step."""
    return sorted(
        {
            name
            for e in experiments
            for t in e["trials"]
            for name, summary in t["summaries"].items()
            if summary["count"] > 1
        }
    )


def curve_card(metric: str, figure: dict[str, Any], info: Mapping[str, Any]) -> html.Div:
    """One chart, with a caption when its series were sampled (``curve_figure``'s info)."""
    caption = (
        note(
            f"Sampled: {info['shown']:,} of {info['count']:,} points drawn, keeping each "
            "bucket's minimum and maximum. Downloads hold every point."
        )
        if info["sampled"]
        else None
    )
    sampled = "yes" if info["sampled"] else "no"
    attributes: dict[str, Any] = {"data-metric": metric, "data-sampled": sampled}
    return html.Div(
        [chart(figure), caption],
        className="kuro-chart",
        **attributes,
    )


def curve_charts(
    *,
    metrics: Sequence[Mapping[str, str]],
    experiments: Sequence[Mapping[str, Any]],
    histories: Mapping[int, Mapping[str, Any]],
    labels: Mapping[int, str],
    aggregation: str = "mean",
    band_kind: str = "std",
    smoothing: float = 0.0,
    log_y: bool = False,
    x_axis: str = "step",
) -> html.Div:
    """A grid of charts, one per metric; ``histories`` maps trial id to its series."""
    colors = experiment_colors(e["id"] for e in experiments)
    charts = []
    for metric in metrics:
        name = metric["name"]
        inputs = [
            {
                "id": e["id"],
                "label": labels[e["id"]],
                "color": colors[e["id"]],
                "best_trial": best_trial(e, name, metric["mode"]),
                "trials": [
                    {"id": t["id"], "number": t["number"], "series": histories[t["id"]].get(name)}
                    for t in counted_trials(e)
                    if t["id"] in histories
                ],
            }
            for e in experiments
        ]
        figure, info = curve_figure(
            metric=name,
            experiments=inputs,
            aggregation=aggregation,
            band_kind=band_kind,
            smoothing=smoothing,
            log_y=log_y,
            x_axis=x_axis,
        )
        charts.append(curve_card(name, figure, info))
    return html.Div(charts, className="kuro-chart-grid")
