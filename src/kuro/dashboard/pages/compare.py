"""The compare page (``/dashboard/``, formerly ``/dash-index``): pick a group, select
experiments, see which setting wins, by how much, and how noisy its trials are.

Data flow: ``compare-group`` (a store) holds ``selectors.group_experiments`` of the group,
reloaded by the group picker, the update button and auto-refresh. Everything else derives
from it and from the experiment grid's selection; the curves read ``metric_history``
(downsampled on the server) for the selected experiments' trials only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from kuro.core.errors import KuroError
from kuro.dashboard.aggregation import differing_keys, experiment_aggregates
from kuro.dashboard.components.cards import (
    empty_state,
    error_state,
    note,
    section,
    verdict_card,
)
from kuro.dashboard.components.chart import chart
from kuro.dashboard.components.curves import curve_charts, series_metrics
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.components.refresh import RefreshControls
from kuro.dashboard.export import export_csv, export_json
from kuro.dashboard.figures.bars import bar_figure, verdict
from kuro.dashboard.figures.curves import AGGREGATIONS, BANDS, MAX_POINTS, X_AXES
from kuro.dashboard.figures.parallel import parallel_figure
from kuro.dashboard.formats import count_text
from kuro.dashboard.mount import PREFIX
from kuro.dashboard.tables import (
    aggregate_table,
    experiment_colors,
    experiment_labels,
    experiment_table,
    trial_table,
)
from kuro.server.tracking import selectors

__all__ = ["layout"]

MAX_CURVE_EXPERIMENTS = 40

GUIDE = """
**Group**: a set of experiments compared together (one at a time here). **Experiment**: one
hyper-parameter setting of an *identifier* (a model or method), run as several **trials**
(repeats, e.g. with different seeds). **Metric**: a named value a trial logs, either once
(a summary, like `test_acc`) or at many steps (a series, like `train_loss`); its *mode* says
whether larger (↑ max) or smaller (↓ min) is better. A trial's **best** is its best value by
that mode.

- **Experiments** lists the group; its hyper-parameter columns show only the keys whose values
  differ between experiments of the same identifier. Select rows to compare them (nothing
  selected: the summaries cover the whole group).
- **Which setting wins** ranks experiments by the mean over their trials of each trial's best,
  best first; the error bar is the standard deviation over trials: how noisy the setting is.
- **Curves** draw every series metric by step. *All trials*: one line per trial. *Best trial*:
  the trial with the best value. *Mean across trials*: the mean at each step with a shaded
  band of ± one standard deviation (or the min-max range). Long series are sampled to about
  1,000 points keeping each bucket's minimum and maximum; such charts say so.
"""


def _controls(group: str | None) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Group", htmlFor="compare-group-picker", className="kuro-label"),
                    dcc.Dropdown(
                        id="compare-group-picker",
                        options=[group] if group else [],
                        value=group,
                        placeholder="Choose a group…",
                        clearable=False,
                        persistence=True,
                        className="kuro-group-picker",
                    ),
                ],
                className="kuro-field",
            ),
            RefreshControls("compare-refresh"),
            html.Span(id="compare-status", className="kuro-status"),
        ],
        className="kuro-toolbar",
    )


def _curve_controls() -> html.Div:
    def radio(id: str, options: dict[str, str], value: str) -> dcc.RadioItems:
        return dcc.RadioItems(
            id=id,
            options=[{"label": v, "value": k} for k, v in options.items()],
            value=value,
            inline=True,
            persistence=True,
            className="kuro-segmented",
        )

    return html.Div(
        [
            html.Div(
                [
                    html.Span("Trials", className="kuro-label"),
                    radio("compare-aggregation", AGGREGATIONS, "mean"),
                ],
                className="kuro-field",
            ),
            html.Div(
                [html.Span("Band", className="kuro-label"), radio("compare-band", BANDS, "std")],
                className="kuro-field",
                id="compare-band-field",
            ),
            html.Div(
                [html.Span("x axis", className="kuro-label"), radio("compare-x", X_AXES, "step")],
                className="kuro-field",
            ),
            html.Div(
                [
                    html.Span("Smoothing", className="kuro-label"),
                    dcc.Slider(
                        id="compare-smoothing",
                        min=0,
                        max=0.99,
                        step=0.01,
                        value=0,
                        marks={0: "off", 0.5: "0.5", 0.9: "0.9"},
                        tooltip={"placement": "bottom"},
                        persistence=True,
                        allow_direct_input=False,
                    ),
                ],
                className="kuro-field kuro-slider",
            ),
            dcc.Checklist(
                id="compare-log-y",
                options=[{"label": "log y", "value": "log"}],
                value=[],
                inline=True,
                persistence=True,
                className="kuro-check",
            ),
        ],
        className="kuro-curve-controls",
    )


def layout(group: str | None = None, **_: Any) -> html.Div:
    downloads = html.Div(
        [
            html.Button("⤓ JSON", id="compare-download-json-button", className="kuro-button"),
            html.Button("⤓ CSV", id="compare-download-csv-button", className="kuro-button"),
            dcc.Download(id="compare-download"),
        ],
        className="kuro-downloads",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Compare experiments"),
                    html.P(
                        "Which hyper-parameter setting is best, by how much, and how noisy "
                        "are its trials.",
                        className="kuro-subtitle",
                    ),
                ],
                className="kuro-page-head",
            ),
            _controls(group),
            html.Details(
                [html.Summary("How to read this page"), dcc.Markdown(GUIDE)],
                className="kuro-guide",
            ),
            dcc.Store(id="compare-group"),
            dcc.Loading(html.Div(id="compare-message"), type="dot", delay_show=300),
            html.Div(
                [
                    section(
                        "Experiments",
                        FilterGrid(
                            "compare-experiments",
                            selectable=True,
                            height=330,
                            placeholder="Filter experiments…",
                            tools=html.Span(id="compare-selection", className="kuro-muted"),
                        ),
                        subtitle="Select rows to compare. Hyper-parameter columns show the keys "
                        "that differ within an identifier.",
                    ),
                    section(
                        "Which setting wins",
                        [
                            dcc.Loading(html.Div(id="compare-bars")),
                            html.H3("Aggregates over trials", className="kuro-h3"),
                            FilterGrid(
                                "compare-aggregates",
                                height=280,
                                placeholder="Filter aggregates…",
                            ),
                        ],
                        id="compare-wins",
                        subtitle=html.Span(id="compare-scope"),
                        tools=dcc.Dropdown(
                            id="compare-metric-filter",
                            multi=True,
                            placeholder="All metrics",
                            className="kuro-metric-filter",
                        ),
                    ),
                    section(
                        "Curves",
                        [
                            _curve_controls(),
                            dcc.Loading(html.Div(id="compare-curves"), delay_show=200),
                        ],
                        subtitle="One chart per series metric of the selected experiments.",
                    ),
                    section(
                        "Trials",
                        FilterGrid(
                            "compare-trials",
                            height=300,
                            placeholder="Filter trials…",
                        ),
                        subtitle="Each trial's best value per metric; open a trial for its detail.",
                    ),
                    section(
                        "Hyper-parameters against the outcome",
                        dcc.Loading(html.Div(id="compare-parallel")),
                        subtitle="Each line is a trial of the group; drag along an axis to filter.",
                        tools=dcc.Dropdown(
                            id="compare-parallel-metric",
                            clearable=False,
                            placeholder="Metric",
                            persistence=True,
                            className="kuro-metric-pick",
                        ),
                    ),
                    section(
                        "Raw data",
                        html.Details(
                            [
                                html.Summary(
                                    "JSON of the selection (summaries; downloads hold every point)"
                                ),
                                html.Pre(id="compare-json", className="kuro-json"),
                            ],
                        ),
                        subtitle=[
                            "Downloads hold every point, in the kuro.export/1 schema (CSV: one "
                            "row per point). From a script: ",
                            html.Code("GET /api/v1/export?group=…"),
                            " or ",
                            html.Code("kuro.Api().export(group)"),
                            ".",
                        ],
                        tools=downloads,
                    ),
                ],
                id="compare-body",
            ),
        ],
        className="kuro-page",
    )


dash.register_page(__name__, path="/", name="Compare", title="Kuro · compare", layout=layout)


def _selected(rows: list[dict[str, Any]] | None) -> list[int]:
    return [int(r["id"]) for r in rows or ()]


def _scope(data: dict[str, Any], ids: list[int]) -> list[dict[str, Any]]:
    """The selected experiments, or the whole group when nothing is selected."""
    chosen = set(ids)
    experiments = data["experiments"]
    return [e for e in experiments if e["id"] in chosen] if chosen else experiments


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
        data = selectors.group_experiments(group=group)
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
    return data, status, message, groups, group, ""


@callback(
    Output(FilterGrid.ids.grid("compare-experiments"), "rowData"),
    Output(FilterGrid.ids.grid("compare-experiments"), "columnDefs"),
    Output(FilterGrid.ids.grid("compare-experiments"), "style"),
    Output("compare-metric-filter", "options"),
    Output("compare-parallel-metric", "options"),
    Output("compare-parallel-metric", "value"),
    Input("compare-group", "data"),
    State("compare-parallel-metric", "value"),
)
def show_experiments(data: dict[str, Any] | None, metric: str | None) -> tuple:
    if not data:
        return [], [], FilterGrid.fit(0), [], [], None
    rows, columns = experiment_table(data["experiments"], data["metrics"])
    grouped = any("children" in c for c in columns)
    style = FilterGrid.fit(len(rows), header_rows=2 if grouped else 1, max_height=440)
    names = [m["name"] for m in data["metrics"]]
    if metric not in names:
        metric = names[0] if names else None
    return rows, columns, style, names, names, metric


@callback(
    Output("compare-selection", "children"),
    Output("compare-scope", "children"),
    Output("compare-bars", "children"),
    Output(FilterGrid.ids.grid("compare-aggregates"), "rowData"),
    Output(FilterGrid.ids.grid("compare-aggregates"), "columnDefs"),
    Output(FilterGrid.ids.grid("compare-aggregates"), "style"),
    Output(FilterGrid.ids.grid("compare-trials"), "rowData"),
    Output(FilterGrid.ids.grid("compare-trials"), "columnDefs"),
    Output(FilterGrid.ids.grid("compare-trials"), "style"),
    Output("compare-json", "children"),
    Input(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Input("compare-group", "data"),
    Input("compare-metric-filter", "value"),
)
def show_selection(
    selected: list[dict[str, Any]] | None, data: dict[str, Any] | None, names: list[str] | None
) -> tuple:
    """Aggregates, bars, trials and JSON of the selection (the group when none)."""
    if not data:
        empty = FilterGrid.fit(0)
        return "", "", None, [], [], empty, [], [], empty, ""
    ids = _selected(selected)
    experiments = _scope(data, ids)
    labels = experiment_labels(data["experiments"])
    colors = experiment_colors(e["id"] for e in experiments)
    metrics = [m for m in data["metrics"] if not names or m["name"] in names]
    aggregates = experiment_aggregates(experiments, metrics)
    bars, cards = [], []
    for metric in metrics:
        rows = [r for r in aggregates if r["metric"] == metric["name"]]
        if any(r["mean"] is not None for r in rows):
            figure = bar_figure(
                metric=metric["name"], mode=metric["mode"], rows=rows, labels=labels, colors=colors
            )
            bars.append(chart(figure, className="kuro-chart"))
            cards.append(verdict_card(metric, verdict(rows, metric["mode"]), labels))
    panels: list[Any] = (
        [html.Div(cards, className="kuro-verdicts"), html.Div(bars, className="kuro-chart-grid")]
        if bars
        else [empty_state("No metric values yet", "Bars appear once trials log values.")]
    )
    aggregate_rows, aggregate_columns = aggregate_table(aggregates, labels)
    trial_rows, trial_columns = trial_table(experiments, data["metrics"], labels, f"{PREFIX}trial/")
    n = len(data["experiments"])
    selection = f"{len(ids)} of {n} selected" if ids else f"none of {n} selected"
    scope = (
        f"Over the {len(ids)} selected experiments."
        if ids
        else f"Over all {n} experiments of the group (select rows to narrow); top 25 per chart."
    )
    preview = {"group": data["group"], "metrics": data["metrics"], "experiments": experiments}
    text = json.dumps(preview, indent=1)
    if len(text) > 200_000:
        text = text[:200_000] + "\n… (cut here; download the JSON for everything)"
    return (
        selection,
        scope,
        panels,
        aggregate_rows,
        aggregate_columns,
        FilterGrid.fit(len(aggregate_rows), max_height=380),
        trial_rows,
        trial_columns,
        FilterGrid.fit(len(trial_rows), max_height=420),
        text,
    )


@callback(
    Output("compare-band-field", "className"),
    Input("compare-aggregation", "value"),
)
def show_band_choice(aggregation: str) -> str:
    return "kuro-field" if aggregation == "mean" else "kuro-field kuro-disabled"


@callback(
    Output("compare-curves", "children"),
    Input(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    Input("compare-group", "data"),
    Input("compare-aggregation", "value"),
    Input("compare-band", "value"),
    Input("compare-smoothing", "value"),
    Input("compare-log-y", "value"),
    Input("compare-x", "value"),
)
def show_curves(
    selected: list[dict[str, Any]] | None,
    data: dict[str, Any] | None,
    aggregation: str,
    band_kind: str,
    smoothing: float | None,
    log_y: list[str] | None,
    x_axis: str,
) -> Any:
    """One chart per series metric of the selected experiments."""
    if not data:
        return None
    ids = _selected(selected)
    if not ids:
        return empty_state(
            "Select experiments to draw their curves", "Tick rows in the Experiments table above."
        )
    experiments = _scope(data, ids[:MAX_CURVE_EXPERIMENTS])
    names = series_metrics(experiments)
    if not names:
        hint = "The selected experiments log only summary values (one point)."
        return empty_state("No series to draw", hint)
    trial_ids = [t["id"] for e in experiments for t in e["trials"]]
    histories = selectors.metric_history(trial_ids=trial_ids, metrics=names, max_points=MAX_POINTS)
    charts: Any = curve_charts(
        metrics=[m for m in data["metrics"] if m["name"] in names],
        experiments=experiments,
        histories={h["trial_id"]: h["metrics"] for h in histories},
        labels=experiment_labels(data["experiments"]),
        aggregation=aggregation,
        band_kind=band_kind,
        smoothing=smoothing or 0.0,
        log_y="log" in (log_y or ()),
        x_axis=x_axis,
    )
    dropped = len(ids) - MAX_CURVE_EXPERIMENTS
    if dropped > 0:
        text = f"Curves show the first {MAX_CURVE_EXPERIMENTS} selected experiments; "
        charts = [note(text + f"{dropped} more are left out."), charts]
    return charts


@callback(
    Output("compare-parallel", "children"),
    Input("compare-group", "data"),
    Input("compare-parallel-metric", "value"),
)
def show_parallel(data: dict[str, Any] | None, metric: str | None) -> Any:
    if not data or not metric:
        return empty_state("Nothing to draw yet")
    modes = {m["name"]: m["mode"] for m in data["metrics"]}
    keys = sorted({k for ks in differing_keys(data["experiments"]).values() for k in ks})
    figure = parallel_figure(
        experiments=data["experiments"], metric=metric, mode=modes.get(metric, "max"), keys=keys
    )
    if figure is None:
        return empty_state(f"No trial has a value of {metric} yet")
    return chart(figure)


@callback(
    Output("compare-download", "data"),
    Input("compare-download-json-button", "n_clicks"),
    Input("compare-download-csv-button", "n_clicks"),
    State("compare-group", "data"),
    State(FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
    prevent_initial_call=True,
)
def download(_json: int, _csv: int, data: dict[str, Any] | None, selected: Any) -> Any:
    """The selection (the whole group when none) at full fidelity."""
    if not data:
        return no_update
    ids = _selected(selected) or [e["id"] for e in data["experiments"]]
    document = selectors.selection_export(group=data["group"], experiment_ids=ids)
    stem = f"kuro-{data['group']}-{len(ids)}-experiments"
    if dash.ctx.triggered_id == "compare-download-csv-button":
        return {"content": export_csv(document), "filename": f"{stem}.csv", "type": "text/csv"}
    return {
        "content": export_json(document),
        "filename": f"{stem}.json",
        "type": "application/json",
    }
