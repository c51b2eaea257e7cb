"""The compare page's parallel coordinates: each trial of the group a line through its
hyper-parameters to its best value of the chosen metric, drawn once scrolled into view
(``assets/lazy_charts.js`` sets ``compare-parallel-seen``): it is WebGL, about 0.6 s of the
browser's time in software rendering, and below the fold, so drawn at once it delayed the
charts above it by about a second for 20 settings."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, callback, dcc, html, no_update

from kuro.core.labels import differing_keys
from kuro.dashboard.components.cards import empty_state
from kuro.dashboard.components.chart import chart
from kuro.dashboard.components.lazy import when_seen
from kuro.dashboard.figures.parallel import parallel_figure
from kuro.dashboard.pages.compare.group import GROUP_FIELDS
from kuro.dashboard.stores import from_store

__all__ = ["parallel_panel", "show_parallel"]

SEEN = "compare-parallel-seen"


def parallel_panel() -> html.Div:
    """The chart's place, a note until it comes into view, and the store that says so."""
    waiting = html.P("Drawn when scrolled into view.", className="kuro-muted")
    seen, attributes = when_seen(SEEN)
    return html.Div([seen, dcc.Loading(html.Div(waiting, id="compare-parallel", **attributes))])


@callback(
    Output("compare-parallel", "children"),
    Input("compare-group", "data"),
    Input("compare-metric", "value"),
    Input(SEEN, "data"),
    prevent_initial_call=True,  # drawn when first seen
)
def show_parallel(stored: dict[str, Any] | None, metric: str | None, seen: bool = True) -> Any:
    """The parallel-coordinates chart, once its place has been seen."""
    if not seen:
        return no_update
    if not stored or not metric:
        return empty_state("Nothing to draw yet")
    data = from_store(stored, GROUP_FIELDS)
    modes = {m["name"]: m["mode"] for m in data["metrics"]}
    keys = sorted({k for ks in differing_keys(data["experiments"]).values() for k in ks})
    figure = parallel_figure(
        experiments=data["experiments"], metric=metric, mode=modes.get(metric, "max"), keys=keys
    )
    if figure is None:
        return empty_state(f"No trial has a value of {metric} yet")
    return chart(figure)
