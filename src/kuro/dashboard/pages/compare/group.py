"""The compare page's data: the group read into its store, the experiment grid with the
metric and group-by choices, and each metric's comparison by the per-trial statistic.

``compare-group`` (a store) holds ``selectors.group_experiments`` of the group, reloaded by
the group picker, the update button and auto-refresh; ``compare-comparison`` holds each
metric's ``selectors.metric_comparison``. Everything else derives from them and from the
experiment grid's selection.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import Input, Output, State, callback, no_update

from kuro.core.errors import KuroError
from kuro.dashboard.comparison import COMPARISON_FIELDS, group_by_keys
from kuro.dashboard.components.cards import empty_state, error_state
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.components.refresh import RefreshControls
from kuro.dashboard.formats import count_text
from kuro.dashboard.pages.compare.provenance import tagged_experiments, with_experiment_columns
from kuro.dashboard.stores import from_store, to_store
from kuro.dashboard.tables import experiment_table
from kuro.server.annotations.selectors import group_annotate
from kuro.server.tracking import selectors

__all__ = [
    "GROUP_FIELDS",
    "comparisons_from_store",
    "in_scope",
    "load_comparison",
    "load_group",
    "selected_ids",
    "show_experiments",
]

# The float fields of the page's stores (``stores``: NaN and infinities survive JSON).
GROUP_FIELDS = frozenset({"best", "last"})


def selected_ids(rows: Any) -> list[int]:
    if isinstance(rows, dict):  # {"ids": [...]}, as the page sets it from the address
        return [int(i) for i in rows.get("ids", ())]
    return [int(r["id"]) for r in rows or ()]


def in_scope(data: dict[str, Any], ids: list[int]) -> list[dict[str, Any]]:
    """The selected experiments, or the whole group when nothing is selected."""
    chosen = set(ids)
    experiments = data["experiments"]
    return [e for e in experiments if e["id"] in chosen] if chosen else experiments


def comparisons_from_store(stored: dict[str, Any] | None) -> dict[str, Any]:
    return from_store(stored or {}, COMPARISON_FIELDS)


@callback(
    Output("compare-group", "data"),
    Output("compare-status", "children"),
    Output("compare-message", "children"),
    Output("compare-group-picker", "options"),
    Output("compare-group-picker", "value"),
    Output("compare-body", "className"),
    Input("compare-group-picker", "value"),
    Input(RefreshControls.ids.button("compare-refresh"), "n_clicks"),
    Input(RefreshControls.ids.interval("compare-refresh"), "n_intervals"),
    prevent_initial_call=True,  # the layout draws the first view
)
def load_group(group: str | None, _clicks: int, _ticks: int) -> tuple:
    """Read the group (experiments, trials, per-trial summaries) into the page's store."""
    groups = [g["name"] for g in selectors.group_list()]
    if not group and len(groups) == 1:
        group = groups[0]
    hidden = "kuro-hidden"
    if not groups:
        hint = "Log an experiment with the client (or POST /api/v1/experiments), then Update."
        return None, "", empty_state("No data yet", hint), groups, None, hidden
    if not group:
        hint = "Choose a group above to compare its experiments."
        return None, "", empty_state("Pick a group", hint), groups, None, hidden
    try:
        data = group_annotate(selectors.group_experiments(group=group), code=True)
    except KuroError as error:  # e.g. a group named in the address that does not exist
        return None, "", error_state(str(error)), [*groups, group], group, hidden
    n_trials = sum(len(e["trials"]) for e in data["experiments"])
    running = sum(e["status_counts"].get("running", 0) for e in data["experiments"])
    stamp = datetime.now(UTC).astimezone().strftime("%H:%M:%S")
    status = " · ".join(
        [
            count_text(len(data["experiments"]), "experiment"),
            count_text(n_trials, "trial"),
            *([f"{running} running"] if running else []),
            f"updated {stamp}",
        ]
    )
    message = (
        None
        if data["experiments"]
        else empty_state(
            "This group has no experiments yet", "They appear here as soon as a client creates one."
        )
    )
    return to_store(data, GROUP_FIELDS), status, message, groups, group, ""


@callback(
    Output(FilterGrid.ids.grid("compare-experiments"), "rowData"),
    Output(FilterGrid.ids.grid("compare-experiments"), "columnDefs"),
    Output(FilterGrid.ids.grid("compare-experiments"), "style"),
    Output(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Output("compare-metric-filter", "options"),
    Output("compare-metric", "options"),
    Output("compare-metric", "value"),
    Output("compare-group-by", "options"),
    Input("compare-group", "data"),
    State("compare-metric", "value"),
    State("compare-initial-selection", "data"),
    State(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Input("compare-tag-filter", "value"),
    prevent_initial_call=True,  # the layout draws the first view
)
def show_experiments(
    stored: dict[str, Any] | None,
    metric: str | None,
    initial: list[int] | None = None,
    current: Any = None,
    tag: str | None = None,
) -> tuple:
    """The experiment grid (only those with ``tag`` when one is chosen), the metric and
    group-by choices; the selection the address names once the rows are there (later
    reloads keep the grid's own)."""
    if not stored:
        return [], [], FilterGrid.fit(0), no_update, [], [], None, []
    data = from_store(stored, GROUP_FIELDS)
    shown = tagged_experiments(data["experiments"], tag)
    rows, columns = experiment_table(shown, data["metrics"])
    with_experiment_columns(rows, columns, shown)
    grouped = any("children" in c for c in columns)
    style = FilterGrid.fit(len(rows), header_rows=2 if grouped else 1, max_height=440)
    names = [m["name"] for m in data["metrics"]]
    if metric not in names:
        metric = names[0] if names else None
    known = {e["id"] for e in data["experiments"]}
    chosen = [str(i) for i in initial or () if i in known]
    selection = {"ids": chosen} if current is None and chosen else no_update
    keys = group_by_keys(data["experiments"])
    return rows, FilterGrid.titled(columns), style, selection, names, names, metric, keys


@callback(
    Output("compare-comparison", "data"),
    Output("compare-step", "disabled"),
    Input("compare-group", "data"),
    Input("compare-statistic", "value"),
    Input("compare-step", "value"),
    prevent_initial_call=True,  # the layout draws the first view
)
def load_comparison(stored: dict[str, Any] | None, statistic: str, step: Any) -> tuple:
    """Each metric's ``selectors.metric_comparison`` by the chosen per-trial statistic."""
    disabled = statistic != "step"
    if not stored:
        return None, disabled
    if statistic == "step" and step in (None, ""):
        return {"error": "Enter a step to compare the trials' values at."}, disabled
    out: dict[str, Any] = {"statistic": statistic, "step": None, "metrics": {}}
    if statistic == "step":
        out["step"] = int(step)
    try:
        out["metrics"] = selectors.metric_comparisons(
            group=stored["group"],
            metrics=[metric["name"] for metric in stored["metrics"]],
            statistic=statistic,  # type: ignore[arg-type]
            step=out["step"],
        )
    except KuroError as error:
        return {"error": str(error)}, disabled
    return to_store(out, COMPARISON_FIELDS), disabled
