"""Which setting wins: verdict cards and forest charts per metric, the aggregates grid
(built after the page's first view, ``FilterGrid.lazy``: it sits below the charts) and the
JSON preview (built once its section comes into view: ``json_preview``), for the selection
(the group when none); the trials grid is ``trials``."""

from __future__ import annotations

import json
from typing import Any

from dash import Input, Output, callback, html, no_update

from kuro.core.labels import experiment_hovers, experiment_labels
from kuro.dashboard.comparison import settings, statistic_text
from kuro.dashboard.components.cards import empty_state, note, verdict_card
from kuro.dashboard.components.chart import chart
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.components.lazy import when_seen
from kuro.dashboard.figures.forest import forest_figure
from kuro.dashboard.pages.compare.group import (
    GROUP_FIELDS,
    comparisons_from_store,
    in_scope,
    selected_ids,
)
from kuro.dashboard.stores import from_store, to_store
from kuro.dashboard.tables import aggregate_table

__all__ = [
    "AGGREGATES",
    "SELECTION_VIEWS",
    "aggregate_grid",
    "json_preview",
    "settings_by_metric",
    "show_json",
    "show_selection",
]

AGGREGATES = "compare-aggregates"
JSON_SEEN = "compare-json-seen"
_JSON_LIMIT = 200_000  # characters shown; the downloads hold everything


def settings_by_metric(
    data: dict[str, Any],
    comparisons: dict[str, Any],
    ids: list[int],
    group_by: str | None,
    names: list[str] | None = None,
) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
    labels = experiment_labels(data["experiments"])
    hovers = experiment_hovers(data["experiments"])
    out = []
    for metric in data["metrics"]:
        if names and metric["name"] not in names:
            continue
        comparison = comparisons.get("metrics", {}).get(metric["name"])
        if comparison is None:
            continue
        rows = settings(
            comparison, experiment_ids=ids, group_by=group_by, labels=labels, hovers=hovers
        )
        out.append((metric, rows))
    return out


@callback(
    Output("compare-selection", "children"),
    Output("compare-scope", "children"),
    Output("compare-bars", "children"),
    Input(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Input("compare-group", "data"),
    Input("compare-comparison", "data"),
    Input("compare-metric-filter", "value"),
    Input("compare-group-by", "value"),
    prevent_initial_call=True,  # the layout draws the first view
)
def show_selection(
    selected: Any,
    stored: dict[str, Any] | None,
    stored_comparison: dict[str, Any] | None,
    names: list[str] | None,
    group_by: str | None = None,
) -> tuple:
    """Verdicts and forest charts of the selection (the group when none), by the chosen
    statistic, per setting (experiment or group-by value)."""
    if not stored:
        return "", "", None
    data = from_store(stored, GROUP_FIELDS)
    comparisons = comparisons_from_store(stored_comparison)
    ids = selected_ids(selected)
    statistic = statistic_text(comparisons.get("statistic", "best"), comparisons.get("step"))
    by_metric = settings_by_metric(data, comparisons, ids, group_by, names)
    forests, cards = [], []
    for metric, rows in by_metric:
        figure, info = forest_figure(
            metric=metric["name"], mode=metric["mode"], rows=rows, statistic=statistic
        )
        if info["drawn"] or info["left_out"]:
            notes = []
            if info["left_out"]:
                notes.append(
                    note(
                        "Not drawn (an infinite mean has no place on an axis): "
                        + ", ".join(info["left_out"])
                    )
                )
            if info["cut"]:
                notes.append(note(f"{info['cut']} more settings are in the table below."))
            attributes: dict[str, Any] = {"data-metric": metric["name"]}
            forests.append(
                html.Div(
                    [chart(figure) if info["drawn"] else None, *notes],
                    className="kuro-chart",
                    **attributes,
                )
            )
            cards.append(verdict_card(metric, rows))
    if comparisons.get("error"):
        panels: list[Any] = [empty_state("Nothing to compare yet", comparisons["error"])]
    elif forests:
        panels = [
            html.Div(cards, className="kuro-verdicts"),
            html.Div(forests, className="kuro-chart-grid"),
        ]
    else:
        panels = [
            empty_state(
                "No metric values yet",
                "Charts appear once trials complete with values of the chosen statistic.",
            )
        ]
    n = len(data["experiments"])
    selection = f"{len(ids)} of {n} selected" if ids else f"none of {n} selected"
    unit = f"settings of {group_by} (other keys pooled)" if group_by else "experiments"
    scope = (
        f"Over the {len(ids)} selected experiments, as {unit}; mean of {statistic} over "
        "complete trials, with its 95% interval."
        if ids
        else f"Over all {n} experiments of the group, as {unit} (select rows to narrow); "
        f"mean of {statistic} over complete trials, with its 95% interval."
    )
    return selection, scope, panels


SELECTION_VIEWS = ("selection", "scope", "bars")
"""The keys of ``show_selection``'s outputs in ``first_view``."""


def aggregate_grid(
    selected: Any,
    stored: dict[str, Any] | None,
    stored_comparison: dict[str, Any] | None,
    names: list[str] | None,
    group_by: str | None = None,
) -> dict[str, Any]:
    """The aggregates grid's ``rowData``, ``columnDefs`` and ``style``: each setting of the
    selection (the group when none) per metric, by the chosen statistic."""
    if not stored:
        return FilterGrid.content()
    data = from_store(stored, GROUP_FIELDS)
    comparisons = comparisons_from_store(stored_comparison)
    statistic = statistic_text(comparisons.get("statistic", "best"), comparisons.get("step"))
    by_metric = settings_by_metric(data, comparisons, selected_ids(selected), group_by, names)
    rows, columns = aggregate_table(by_metric, statistic)
    return FilterGrid.content(rows, columns, max_height=380)


FilterGrid.build_when_seen(
    AGGREGATES,
    aggregate_grid,
    [
        (FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
        ("compare-group", "data"),
        ("compare-comparison", "data"),
        ("compare-metric-filter", "value"),
        ("compare-group-by", "value"),
    ],
    height=280,
    placeholder="Filter aggregates…",
)


def json_preview() -> html.Details:
    """The JSON preview's section: closed, its text filled in by ``show_json`` once the
    section comes into view (``assets/lazy_charts.js`` sets ``JSON_SEEN``). Built with the
    first view it was the largest part of the page (about 120 kB for 20 settings x 5
    trials), for a section at the bottom that starts closed."""
    seen, attributes = when_seen(JSON_SEEN)
    return html.Details(
        [
            html.Summary("JSON of the selection (summaries; downloads hold every point)"),
            seen,
            html.Pre("", id="compare-json", className="kuro-json"),
        ],
        **attributes,
    )


@callback(
    Output("compare-json", "children"),
    Input(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Input("compare-group", "data"),
    Input(JSON_SEEN, "data"),
    prevent_initial_call=True,  # built when first seen
)
def show_json(selected: Any, stored: dict[str, Any] | None, seen: bool = True) -> Any:
    """The JSON of the selection (the group when none): its group, metrics and experiments
    with their trials' summaries, cut at ``_JSON_LIMIT`` characters."""
    if not seen:
        return no_update
    if not stored:
        return ""
    data = from_store(stored, GROUP_FIELDS)
    experiments = in_scope(data, selected_ids(selected))
    preview = {"group": data["group"], "metrics": data["metrics"], "experiments": experiments}
    # Encoded only as far as it is shown: a large group's whole text took a second.
    pieces, size = [], 0
    for piece in json.JSONEncoder(indent=1).iterencode(to_store(preview, GROUP_FIELDS)):
        pieces.append(piece)
        size += len(piece)
        if size > _JSON_LIMIT:
            break
    text = "".join(pieces)
    if size > _JSON_LIMIT:
        text = text[:_JSON_LIMIT] + "\n… (cut here; download the JSON for everything)"
    return text
