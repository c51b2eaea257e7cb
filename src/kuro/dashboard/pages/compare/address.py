"""The compare page's state written into its address (no reload), so a view can be
shared (``kuro.dashboard.address`` reads it back)."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, callback

from kuro.dashboard.address import compare_search
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.pages.compare.group import selected_ids

__all__ = ["write_address"]


@callback(
    Output("compare-url", "search"),
    Input("compare-group-picker", "value"),
    Input("compare-metric", "value"),
    Input("compare-statistic", "value"),
    Input("compare-step", "value"),
    Input("compare-group-by", "value"),
    Input(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Input("compare-aggregation", "value"),
    Input("compare-band", "value"),
    Input("compare-x", "value"),
    Input("compare-smoothing", "value"),
    Input("compare-log-y", "value"),
    prevent_initial_call=True,
)
def write_address(
    group: str | None,
    metric: str | None,
    statistic: str,
    step: Any,
    group_by: str | None,
    selected: Any,
    aggregation: str,
    band_kind: str,
    x_axis: str,
    smoothing: float | None,
    log_y: list[str] | None,
) -> str:
    """The page's state into its address (no reload), so the view can be shared."""
    return compare_search(
        {
            "group": group,
            "metric": metric,
            "statistic": statistic,
            "step": step if statistic == "step" else None,
            "by": group_by,
            "selected": selected_ids(selected),
            "trials": aggregation,
            "band": band_kind,
            "x": x_axis,
            "smoothing": smoothing or 0.0,
            "log": "log" in (log_y or ()),
        }
    )
