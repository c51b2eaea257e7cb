"""The curve charts of a selection: one card per series metric, a caption when sampled, and
zooming that re-reads the range shown.

A card keeps its *recipe* (the metric, the experiments and their trials without their
series, the drawing options) in a store beside its graph. The page reads the first view's
histories (``selectors.metric_history`` at ``MAX_POINTS``) and passes them in; when the
user zooms the step axis, one pattern-matching callback reads that range of steps again
(``step_min``/``step_max``), so a range that holds at most ``MAX_POINTS`` points is drawn
point for point and a longer one is sampled more finely; a double-click (autorange) reads
the whole series again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dash import MATCH, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from kuro.dashboard.aggregation import best_trial, counted_trials
from kuro.dashboard.components.chart import chart
from kuro.dashboard.components.ids import part_id
from kuro.dashboard.figures.curves import MAX_POINTS, curve_figure
from kuro.dashboard.tables import experiment_colors
from kuro.server.tracking import selectors

__all__ = [
    "CurveCard",
    "caption_text",
    "curve_card",
    "curve_charts",
    "curve_recipe",
    "series_metrics",
    "step_window",
]

_OPTIONS = ("aggregation", "band_kind", "smoothing", "log_y", "x_axis", "show_legend")


class CurveCard:
    """Ids of a curve card's parts, ``MATCH``-ed on ``aio_id`` by the zoom callback."""

    class ids:
        graph = staticmethod(part_id("CurveCard", "graph"))
        recipe = staticmethod(part_id("CurveCard", "recipe"))
        caption = staticmethod(part_id("CurveCard", "caption"))
        zoom = staticmethod(part_id("CurveCard", "zoom"))


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


def curve_recipe(
    metric: str, experiments: Sequence[Mapping[str, Any]], **options: Any
) -> dict[str, Any]:
    """What a card draws, as plain JSON: ``experiments`` as ``curve_figure`` takes them
    but without series (``{"id", "label", "color", "best_trial", "trials": [{"id",
    "number"}]}``), and ``curve_figure``'s options."""
    unknown = set(options) - set(_OPTIONS)
    if unknown:
        raise ValueError(f"unknown curve options: {sorted(unknown)}")
    return {
        "metric": metric,
        "experiments": [
            {
                **{k: e[k] for k in ("id", "label", "color", "best_trial")},
                "trials": [{"id": t["id"], "number": t["number"]} for t in e["trials"]],
            }
            for e in experiments
        ],
        "options": options,
    }


def _trial_ids(recipe: Mapping[str, Any]) -> list[int]:
    return [t["id"] for e in recipe["experiments"] for t in e["trials"]]


def _draw(
    recipe: Mapping[str, Any], histories: Mapping[int, Mapping[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``curve_figure`` of a recipe, each trial's series taken from ``histories``."""
    metric = recipe["metric"]
    experiments = [
        {
            **e,
            "trials": [
                {**t, "series": histories[t["id"]].get(metric)}
                for t in e["trials"]
                if t["id"] in histories
            ],
        }
        for e in recipe["experiments"]
    ]
    return curve_figure(metric=metric, experiments=experiments, **recipe["options"])


def caption_text(
    info: Mapping[str, Any], window: tuple[int, int] | None = None, *, zoomable: bool = True
) -> str | None:
    """What the caption says: whether the series are sampled, and of which range of steps
    (``zoomable``: zooming reads a range again, as it does on the step axis).

    >>> caption_text({"sampled": True, "shown": 1000, "count": 30000})[:61]
    'Downsampled: 1,000 of 30,000 points drawn, extremes kept (eac'
    >>> caption_text({"sampled": False, "shown": 201, "count": 201}, (100, 300))
    'Steps 100 to 300: full resolution, all 201 points.'
    >>> caption_text({"sampled": True, "shown": 9, "count": 99}, zoomable=False)[-40:]
    'nd maximum). Downloads hold every point.'
    >>> caption_text({"sampled": False, "shown": 50, "count": 50}) is None
    True
    """
    counts = f"{info['shown']:,} of {info['count']:,} points drawn, extremes kept"
    means = ", trials averaged bucket by bucket" if info.get("bucketed") else ""
    if window is None:
        if not info["sampled"]:
            return None
        zoom = "Zoom in to read a range at full resolution; " if zoomable else ""
        return (
            f"Downsampled: {counts} (each bucket's minimum and maximum){means}. {zoom}"
            f"{'d' if zoomable else 'D'}ownloads hold every point."
        )
    steps = f"Steps {window[0]:,} to {window[1]:,}"
    if info["sampled"]:
        return f"{steps}: downsampled, {counts}{means}. Zoom in further for every point."
    return f"{steps}: full resolution, all {info['shown']:,} points."


def _caption(text: str | None) -> tuple[str | None, str]:
    return text, "kuro-note" if text else "kuro-caption-empty"


def curve_card(
    aio_id: str, recipe: Mapping[str, Any], histories: Mapping[int, Mapping[str, Any]]
) -> html.Div:
    """One chart of ``recipe`` (``curve_recipe``) drawn from ``histories`` (trial id to
    its series by metric, as ``selectors.metric_history`` reads them), with its caption
    and the store the zoom callback reads; ``aio_id`` is unique on the page."""
    figure, info = _draw(recipe, histories)
    zoomable = recipe["options"].get("x_axis", "step") == "step"
    text, class_name = _caption(caption_text(info, zoomable=zoomable))
    attributes: dict[str, Any] = {
        "data-metric": recipe["metric"],
        "data-sampled": "yes" if info["sampled"] else "no",
    }
    return html.Div(
        [
            chart(figure, id=CurveCard.ids.graph(aio_id)),
            html.Div(text, id=CurveCard.ids.caption(aio_id), className=class_name),
            dcc.Store(id=CurveCard.ids.recipe(aio_id), data=dict(recipe)),
            dcc.Store(id=CurveCard.ids.zoom(aio_id)),
        ],
        className="kuro-chart",
        **attributes,
    )


def curve_charts(
    *,
    metrics: Sequence[Mapping[str, str]],
    experiments: Sequence[Mapping[str, Any]],
    histories: Mapping[int, Mapping[str, Any]],
    labels: Mapping[int, str],
    scope: str = "curves",
    aggregation: str = "mean",
    band_kind: str = "std",
    smoothing: float = 0.0,
    log_y: bool = False,
    x_axis: str = "step",
) -> html.Div:
    """A grid of charts, one per metric; ``histories`` maps trial id to its series;
    ``scope`` names the cards (``<scope>:<metric>``), unique on the page."""
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
                "trials": [t for t in counted_trials(e) if t["id"] in histories],
            }
            for e in experiments
        ]
        recipe = curve_recipe(
            name,
            inputs,
            aggregation=aggregation,
            band_kind=band_kind,
            smoothing=smoothing,
            log_y=log_y,
            x_axis=x_axis,
        )
        charts.append(curve_card(f"{scope}:{name}", recipe, histories))
    return html.Div(charts, className="kuro-chart-grid")


def step_window(relayout: Mapping[str, Any] | None) -> tuple[int, int] | bool | None:
    """The steps a zoom on the x axis shows, from Plotly's ``relayoutData``: ``(first,
    last)`` widened by a twentieth on each side (so lines run to the edges), ``None`` for
    a reset (autorange), ``False`` when the x axis did not change (a resize, a y zoom).

    >>> step_window({"xaxis.range[0]": 99.5, "xaxis.range[1]": 300.2})
    (89, 311)
    >>> step_window({"xaxis.autorange": True, "yaxis.autorange": True}) is None
    True
    >>> step_window({"autosize": True})
    False
    """
    relayout = relayout or {}
    if relayout.get("xaxis.autorange"):
        return None
    if "xaxis.range" in relayout:
        low, high = relayout["xaxis.range"]
    elif "xaxis.range[0]" in relayout and "xaxis.range[1]" in relayout:
        low, high = relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]
    else:
        return False
    try:
        low, high = sorted((float(low), float(high)))
    except (TypeError, ValueError):  # a date axis' range: not steps
        return False
    if not (math.isfinite(low) and math.isfinite(high)):
        return False
    margin = (high - low) / 20
    return math.floor(low - margin), math.ceil(high + margin)


# Plotly reports every relayout (the chart's first autosize, each resize, a y zoom): only
# those that move the x axis reach the server (``step_window`` reads the same keys).
clientside_callback(
    """function (relayout) {
        if (relayout && (relayout["xaxis.autorange"] || "xaxis.range" in relayout
                || ("xaxis.range[0]" in relayout && "xaxis.range[1]" in relayout))) {
            return relayout;
        }
        return window.dash_clientside.no_update;
    }""",
    Output(CurveCard.ids.zoom(MATCH), "data"),
    Input(CurveCard.ids.graph(MATCH), "relayoutData"),
    prevent_initial_call=True,
)


@callback(
    Output(CurveCard.ids.graph(MATCH), "figure"),
    Output(CurveCard.ids.caption(MATCH), "children"),
    Output(CurveCard.ids.caption(MATCH), "className"),
    Input(CurveCard.ids.zoom(MATCH), "data"),
    State(CurveCard.ids.recipe(MATCH), "data"),
    prevent_initial_call=True,
)
def _zoom(relayout: dict[str, Any] | None, recipe: dict[str, Any] | None) -> tuple:
    """Read the zoomed range of steps again (or, on a reset, the whole series)."""
    if not recipe or recipe["options"].get("x_axis", "step") != "step":
        raise PreventUpdate  # wall-time axes: the sampled view stays
    window = step_window(relayout)
    if window is False:
        raise PreventUpdate
    low, high = window if isinstance(window, tuple) else (None, None)
    rows = selectors.metric_history(
        trial_ids=_trial_ids(recipe),
        metrics=[recipe["metric"]],
        max_points=MAX_POINTS,
        step_min=low,
        step_max=high,
    )
    figure, info = _draw(recipe, {r["trial_id"]: r["metrics"] for r in rows})
    if isinstance(window, tuple):  # the user's range, not the widened one read
        x_range = _x_range(relayout or {})
        figure["layout"]["xaxis"] = {**figure["layout"]["xaxis"], "range": x_range}
    return figure, *_caption(caption_text(info, window if isinstance(window, tuple) else None))


def _x_range(relayout: Mapping[str, Any]) -> list[Any]:
    if "xaxis.range" in relayout:
        return list(relayout["xaxis.range"])
    return [relayout["xaxis.range[0]"], relayout["xaxis.range[1]"]]
