"""The compare page's curves: one chart per series metric, of the selected settings or,
with nothing selected, of the top ones by the chosen metric."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, callback

from kuro.core.labels import experiment_hovers, experiment_labels
from kuro.dashboard.comparison import settings
from kuro.dashboard.components.cards import empty_state, note
from kuro.dashboard.components.curves import curve_charts, series_metrics
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.figures.curves import MAX_POINTS
from kuro.dashboard.pages.compare.group import (
    GROUP_FIELDS,
    comparisons_from_store,
    in_scope,
    selected_ids,
)
from kuro.dashboard.stores import from_store
from kuro.server.tracking import selectors

__all__ = ["DEFAULT_CURVES", "MAX_CURVE_EXPERIMENTS", "show_curves"]

MAX_CURVE_EXPERIMENTS = 40
DEFAULT_CURVES = 5
"""Settings whose curves are drawn when nothing is selected: the top ones by the metric."""


def _pooled(
    data: dict[str, Any], rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Settings as the curves' experiments: each setting's trials together (a group-by
    value pools the trials of its experiments), ids by rank."""
    by_id = {e["id"]: e for e in data["experiments"]}
    experiments, labels = [], {}
    for i, row in enumerate(rows):
        members = [by_id[m] for m in row["experiment_ids"] if m in by_id]
        if not members:
            continue
        if len(row["experiment_ids"]) == 1:
            experiments.append(members[0])
            labels[members[0]["id"]] = row["label"]
            continue
        pseudo = -(i + 1)  # never an experiment id
        experiments.append(
            {
                "id": pseudo,
                "identifier": row["label"],
                "trials": [t for m in members for t in m["trials"]],
            }
        )
        labels[pseudo] = row["label"]
    return experiments, labels


@callback(
    Output("compare-curves", "children"),
    Output("compare-curves-scope", "children"),
    Input(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Input("compare-group", "data"),
    Input("compare-comparison", "data"),
    Input("compare-metric", "value"),
    Input("compare-group-by", "value"),
    Input("compare-aggregation", "value"),
    Input("compare-band", "value"),
    Input("compare-smoothing", "value"),
    Input("compare-log-y", "value"),
    Input("compare-x", "value"),
    prevent_initial_call=True,  # the layout draws the first view
)
def show_curves(
    selected: Any,
    stored: dict[str, Any] | None,
    stored_comparison: dict[str, Any] | None,
    metric: str | None,
    group_by: str | None,
    aggregation: str,
    band_kind: str,
    smoothing: float | None,
    log_y: list[str] | None,
    x_axis: str,
) -> tuple:
    """One chart per series metric: of the selected settings, or when nothing is selected
    of the top ``DEFAULT_CURVES`` by the chosen metric, so the panel is never empty."""
    if not stored:
        return None, ""
    data = from_store(stored, GROUP_FIELDS)
    ids = selected_ids(selected)
    comparisons = comparisons_from_store(stored_comparison)
    comparison = comparisons.get("metrics", {}).get(metric or "")
    if group_by or not ids:
        if comparison is None:
            return None, "Curves appear once the comparison is read."
        hovers = experiment_hovers(data["experiments"])
        rows = settings(
            comparison,
            experiment_ids=ids,
            group_by=group_by,
            labels=experiment_labels(data["experiments"]),
            hovers=hovers,
        )
        if not ids:
            rows = [r for r in rows if r["n"]][:DEFAULT_CURVES] or rows[:DEFAULT_CURVES]
        experiments, labels = _pooled(data, rows[:MAX_CURVE_EXPERIMENTS])
        what = f"settings of {group_by}" if group_by else "experiments"
        scope = (
            f"The selected experiments as {what}, by {metric}."
            if ids
            else f"The top {len(experiments)} {what} by {metric} (select rows to choose others)."
        )
    else:
        experiments = in_scope(data, ids[:MAX_CURVE_EXPERIMENTS])
        labels = experiment_labels(data["experiments"])
        scope = "One chart per series metric of the selected experiments."
    names = series_metrics(experiments)
    if not names:
        hint = "These experiments log only summary values (one point)."
        return empty_state("No series to draw", hint), scope
    trial_ids = [t["id"] for e in experiments for t in e["trials"]]
    histories = selectors.metric_history(
        trial_ids=trial_ids, metrics=names, max_points=MAX_POINTS, arrays=True
    )
    charts: Any = curve_charts(
        metrics=[m for m in data["metrics"] if m["name"] in names],
        experiments=experiments,
        histories={h["trial_id"]: h["metrics"] for h in histories},
        labels=labels,
        scope="compare",
        aggregation=aggregation,
        band_kind=band_kind,
        smoothing=smoothing or 0.0,
        log_y="log" in (log_y or ()),
        x_axis=x_axis,
    )
    dropped = len(ids) - MAX_CURVE_EXPERIMENTS
    if dropped > 0 and not group_by:
        text = f"Curves show the first {MAX_CURVE_EXPERIMENTS} selected experiments; "
        charts = [note(text + f"{dropped} more are left out."), charts]
    return charts, scope
