"""The compare page's downloads: the selection at full fidelity (JSON, CSV) and its
comparison by the chosen statistic (CSV)."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, callback, no_update

from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.export import comparison_csv, export_csv, export_json
from kuro.dashboard.pages.compare.group import (
    GROUP_FIELDS,
    comparisons_from_store,
    selected_ids,
)
from kuro.dashboard.pages.compare.winner import settings_by_metric
from kuro.dashboard.stores import from_store
from kuro.server.tracking import selectors

__all__ = ["download"]


@callback(
    Output("compare-download", "data"),
    Input("compare-download-json-button", "n_clicks"),
    Input("compare-download-csv-button", "n_clicks"),
    Input("compare-download-comparison-button", "n_clicks"),
    State("compare-group", "data"),
    State(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    State("compare-comparison", "data"),
    State("compare-group-by", "value"),
    prevent_initial_call=True,
)
def download(
    _json: int,
    _csv: int,
    _comparison: int,
    data: dict[str, Any] | None,
    selected: Any,
    stored_comparison: dict[str, Any] | None = None,
    group_by: str | None = None,
) -> Any:
    """The selection (the whole group when none) at full fidelity, or its comparison by
    the chosen statistic."""
    if not data:
        return no_update
    ids = selected_ids(selected) or [e["id"] for e in data["experiments"]]
    stem = f"kuro-{data['group']}-{len(ids)}-experiments"
    if dash.ctx.triggered_id == "compare-download-comparison-button":
        comparisons = comparisons_from_store(stored_comparison)
        by_metric = settings_by_metric(
            from_store(data, GROUP_FIELDS), comparisons, selected_ids(selected), group_by
        )
        statistic = comparisons.get("statistic", "best")
        return {
            "content": comparison_csv(by_metric, statistic, comparisons.get("step"), group_by),
            "filename": f"{stem}-comparison-{statistic}.csv",
            "type": "text/csv",
        }
    document = selectors.selection_export(group=data["group"], experiment_ids=ids)
    if dash.ctx.triggered_id == "compare-download-csv-button":
        return {"content": export_csv(document), "filename": f"{stem}.csv", "type": "text/csv"}
    return {
        "content": export_json(document),
        "filename": f"{stem}.json",
        "type": "application/json",
    }
