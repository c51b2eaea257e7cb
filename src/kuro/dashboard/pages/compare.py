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
from django.db import DatabaseError

from kuro.core.errors import KuroError
from kuro.dashboard.address import compare_search, compare_state
from kuro.dashboard.aggregation import differing_keys
from kuro.dashboard.comparison import (
    COMPARISON_FIELDS,
    STATISTICS,
    group_by_keys,
    settings,
    statistic_text,
)
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
from kuro.dashboard.export import comparison_csv, export_csv, export_json
from kuro.dashboard.figures.curves import AGGREGATIONS, BANDS, MAX_POINTS, X_AXES
from kuro.dashboard.figures.forest import forest_figure
from kuro.dashboard.figures.parallel import parallel_figure
from kuro.dashboard.formats import count_text
from kuro.dashboard.mount import PREFIX
from kuro.dashboard.stores import from_store, to_store
from kuro.dashboard.tables import (
    aggregate_table,
    experiment_hovers,
    experiment_labels,
    experiment_table,
    trial_table,
)
from kuro.server.tracking import selectors

__all__ = ["layout"]

MAX_CURVE_EXPERIMENTS = 40
DEFAULT_CURVES = 5
"""Settings whose curves are drawn when nothing is selected: the top ones by the metric."""

GUIDE = """
**Group**: a set of experiments compared together (one at a time here). **Experiment**: one
hyper-parameter setting of an *identifier* (a model or method), run as several **trials**
(repeats, e.g. with different seeds). **Metric**: a named value a trial logs, either once
(a summary, like `test_acc`) or at many steps (a series, like `train_loss`); its *mode* says
whether larger (↑ max) or smaller (↓ min) is better.

- **Per trial** chooses each complete trial's one value: its *best* by the mode, its *last*,
  its value *at step* N, or its *summary*. The cards, charts, table and comparison download
  all use it.
- **Group by** a hyper-parameter key (say `lr`) makes each of its values one setting, pooling
  the trials of every experiment with that value whatever their other keys.
- **Which setting wins** ranks the settings by mean, best first. Each dot is a mean and its
  whisker the 95% interval of that mean (Student t); the axis is zoomed to the data. The
  leader is the star, its interval the shaded column. An open diamond on a shaded row is
  *not separated* from the leader (Welch's test, p ≥ 0.05): it may be as good; more trials
  would tell. Grey dots are behind the leader. Hover a dot for n, the interval, the p-value
  and P(leader better), the chance a trial of the leader beats one of the setting.
- **Curves** draw every series metric by step: with nothing selected, of the top 5 settings
  by the metric chosen above. *All trials*: one line per trial. *Best trial*: the trial
  with the best value. *Mean across trials*: the mean at each step with a shaded band of ±
  one standard deviation (or the min-max range). Long series are sampled to about 1,000
  points keeping each bucket's minimum and maximum; such charts say so.
- The page's address holds its state: copy it to share this view.
"""


def _radio(id: str, options: dict[str, str], value: str) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=id,
        options=[{"label": v, "value": k} for k, v in options.items()],
        value=value,
        inline=True,
        className="kuro-segmented",
    )


def _field(label: str, control: Any, html_for: str | None = None, **props: Any) -> html.Div:
    caption = (
        html.Label(label, htmlFor=html_for, className="kuro-label")
        if html_for
        else html.Span(label, className="kuro-label")
    )
    return html.Div([caption, control], **{"className": "kuro-field", **props})


def _controls(state: dict[str, Any], view: dict[str, Any]) -> html.Div:
    group, metric = view["group"], view["metric"]
    return html.Div(
        [
            _field(
                "Group",
                dcc.Dropdown(
                    id="compare-group-picker",
                    options=view["groups"],
                    value=group,
                    placeholder="Choose a group…",
                    clearable=False,
                    className="kuro-group-picker",
                ),
                "compare-group-picker",
            ),
            _field(
                "Metric",
                dcc.Dropdown(
                    id="compare-metric",
                    options=view["metrics"],
                    value=metric,
                    clearable=False,
                    placeholder="Metric",
                    className="kuro-metric-pick",
                ),
                "compare-metric",
            ),
            _field("Per trial", _radio("compare-statistic", STATISTICS, state["statistic"])),
            _field(
                "Step",
                dcc.Input(
                    id="compare-step",
                    type="number",
                    min=0,
                    step=1,
                    value=state["step"],
                    debounce=True,
                    placeholder="step",
                    className="kuro-step",
                    disabled=state["statistic"] != "step",
                ),
                "compare-step",
            ),
            _field(
                "Group by",
                dcc.Dropdown(
                    id="compare-group-by",
                    options=view["keys"],
                    value=state["by"],
                    placeholder="each experiment",
                    className="kuro-metric-pick",
                ),
                "compare-group-by",
            ),
            RefreshControls("compare-refresh"),
            html.Span(view["status"], id="compare-status", className="kuro-status"),
        ],
        className="kuro-toolbar",
    )


def _curve_controls(state: dict[str, Any]) -> html.Div:
    return html.Div(
        [
            _field("Trials", _radio("compare-aggregation", AGGREGATIONS, state["trials"])),
            _field(
                "Band",
                _radio("compare-band", BANDS, state["band"]),
                id="compare-band-field",
                className=show_band_choice(state["trials"]),
            ),
            _field("x axis", _radio("compare-x", X_AXES, state["x"])),
            html.Div(
                [
                    html.Span("Smoothing", className="kuro-label"),
                    dcc.Slider(
                        id="compare-smoothing",
                        min=0,
                        max=0.99,
                        step=0.01,
                        value=state["smoothing"],
                        marks={0: "off", 0.5: "0.5", 0.9: "0.9"},
                        tooltip={"placement": "bottom"},
                        allow_direct_input=False,
                    ),
                ],
                className="kuro-field kuro-slider",
            ),
            dcc.Checklist(
                id="compare-log-y",
                options=[{"label": "log y", "value": "log"}],
                value=["log"] if state["log"] else [],
                inline=True,
                className="kuro-check",
            ),
        ],
        className="kuro-curve-controls",
    )


def layout(**url_params: Any) -> html.Div:
    """The page, in the state its address names (``address.compare_state``), drawn on the
    server: its first view costs no callback round trip (the callbacks only redraw it)."""
    state = compare_state(url_params)
    view = _first_view(state)
    downloads = html.Div(
        [
            html.Button("⤓ JSON", id="compare-download-json-button", className="kuro-button"),
            html.Button("⤓ CSV", id="compare-download-csv-button", className="kuro-button"),
            html.Button(
                "⤓ Comparison CSV",
                id="compare-download-comparison-button",
                className="kuro-button",
                title="The aggregates table: each setting per metric, by the chosen statistic",
            ),
            dcc.Download(id="compare-download"),
        ],
        className="kuro-downloads",
    )
    return html.Div(
        [
            dcc.Location(id="compare-url", refresh=False),
            dcc.Store(id="compare-initial-selection", data=state["selected"]),
            html.Div(
                [
                    html.H1("Compare experiments"),
                    html.P(
                        "Which hyper-parameter setting is best, by how much, and whether its "
                        "lead is more than noise.",
                        className="kuro-subtitle",
                    ),
                ],
                className="kuro-page-head",
            ),
            _controls(state, view),
            html.Details(
                [html.Summary("How to read this page"), dcc.Markdown(GUIDE)],
                className="kuro-guide",
            ),
            dcc.Store(id="compare-group", data=view["stored"]),
            dcc.Store(id="compare-comparison", data=view["comparison"]),
            dcc.Loading(
                html.Div(view["message"], id="compare-message"), type="dot", delay_show=300
            ),
            html.Div(
                [
                    section(
                        "Experiments",
                        FilterGrid(
                            "compare-experiments",
                            selectable=True,
                            height=330,
                            placeholder="Filter experiments…",
                            tools=html.Span(
                                view["selection"], id="compare-selection", className="kuro-muted"
                            ),
                            rowData=view["experiment_rows"],
                            columnDefs=view["experiment_columns"],
                            style=view["experiment_style"],
                            selectedRows=view["selected_rows"],
                        ),
                        subtitle="Select rows to compare. Hyper-parameter columns show the keys "
                        "that differ within an identifier.",
                    ),
                    section(
                        "Which setting wins",
                        [
                            dcc.Loading(html.Div(view["bars"], id="compare-bars")),
                            html.H3("Aggregates over trials", className="kuro-h3"),
                            FilterGrid(
                                "compare-aggregates",
                                height=280,
                                placeholder="Filter aggregates…",
                                rowData=view["aggregate_rows"],
                                columnDefs=view["aggregate_columns"],
                                style=view["aggregate_style"],
                            ),
                        ],
                        id="compare-wins",
                        subtitle=html.Span(view["scope"], id="compare-scope"),
                        tools=dcc.Dropdown(
                            id="compare-metric-filter",
                            options=view["metrics"],
                            multi=True,
                            placeholder="All metrics",
                            className="kuro-metric-filter",
                        ),
                    ),
                    section(
                        "Curves",
                        [
                            _curve_controls(state),
                            dcc.Loading(
                                html.Div(view["curves"], id="compare-curves"), delay_show=200
                            ),
                        ],
                        subtitle=html.Span(view["curves_scope"], id="compare-curves-scope"),
                    ),
                    section(
                        "Trials",
                        FilterGrid(
                            "compare-trials",
                            height=300,
                            placeholder="Filter trials…",
                            rowData=view["trial_rows"],
                            columnDefs=view["trial_columns"],
                            style=view["trial_style"],
                        ),
                        subtitle="Each trial's best value per metric; open a trial for its detail.",
                    ),
                    section(
                        "Hyper-parameters against the outcome",
                        dcc.Loading(html.Div(id="compare-parallel")),
                        subtitle="Each line is a trial of the group, coloured by the metric "
                        "chosen above; drag along an axis to filter.",
                    ),
                    section(
                        "Raw data",
                        html.Details(
                            [
                                html.Summary(
                                    "JSON of the selection (summaries; downloads hold every point)"
                                ),
                                html.Pre(view["json"], id="compare-json", className="kuro-json"),
                            ],
                        ),
                        subtitle=[
                            "Downloads hold every point, in the kuro.export/1 schema (CSV: one "
                            "row per point); the comparison CSV is the aggregates table. From a "
                            "script: ",
                            html.Code("GET /api/v1/export?group=…"),
                            " or ",
                            html.Code("kuro compare"),
                            ".",
                        ],
                        tools=downloads,
                    ),
                ],
                id="compare-body",
                className=view["body_class"],
            ),
        ],
        className="kuro-page",
    )


dash.register_page(__name__, path="/", name="Compare", title="Kuro · compare", layout=layout)

# The float fields of the page's stores (``stores``: NaN and infinities survive JSON).
GROUP_FIELDS = frozenset({"best", "last"})


def _selected(rows: Any) -> list[int]:
    if isinstance(rows, dict):  # {"ids": [...]}, as the page sets it from the address
        return [int(i) for i in rows.get("ids", ())]
    return [int(r["id"]) for r in rows or ()]


def _scope(data: dict[str, Any], ids: list[int]) -> list[dict[str, Any]]:
    """The selected experiments, or the whole group when nothing is selected."""
    chosen = set(ids)
    experiments = data["experiments"]
    return [e for e in experiments if e["id"] in chosen] if chosen else experiments


def _comparisons(stored: dict[str, Any] | None) -> dict[str, Any]:
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
    prevent_initial_call=True,  # the layout draws the first view
)
def show_experiments(
    stored: dict[str, Any] | None,
    metric: str | None,
    initial: list[int] | None = None,
    current: Any = None,
) -> tuple:
    """The experiment grid, the metric and group-by choices; the selection the address
    names once the rows are there (later reloads keep the grid's own)."""
    if not stored:
        return [], [], FilterGrid.fit(0), no_update, [], [], None, []
    data = from_store(stored, GROUP_FIELDS)
    rows, columns = experiment_table(data["experiments"], data["metrics"])
    grouped = any("children" in c for c in columns)
    style = FilterGrid.fit(len(rows), header_rows=2 if grouped else 1, max_height=440)
    names = [m["name"] for m in data["metrics"]]
    if metric not in names:
        metric = names[0] if names else None
    known = {e["id"] for e in data["experiments"]}
    chosen = [str(i) for i in initial or () if i in known]
    selection = {"ids": chosen} if current is None and chosen else no_update
    keys = group_by_keys(data["experiments"])
    return rows, columns, style, selection, names, names, metric, keys


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
    for metric in stored["metrics"]:
        try:
            comparison = selectors.metric_comparison(
                group=stored["group"],
                metric=metric["name"],
                statistic=statistic,  # type: ignore[arg-type]
                step=out["step"],
            )
        except KuroError as error:
            return {"error": str(error)}, disabled
        out["metrics"][metric["name"]] = comparison
    return to_store(out, COMPARISON_FIELDS), disabled


def _settings_by_metric(
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
    Output(FilterGrid.ids.grid("compare-aggregates"), "rowData"),
    Output(FilterGrid.ids.grid("compare-aggregates"), "columnDefs"),
    Output(FilterGrid.ids.grid("compare-aggregates"), "style"),
    Output(FilterGrid.ids.grid("compare-trials"), "rowData"),
    Output(FilterGrid.ids.grid("compare-trials"), "columnDefs"),
    Output(FilterGrid.ids.grid("compare-trials"), "style"),
    Output("compare-json", "children"),
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
    """Verdicts, forest charts, aggregates, trials and JSON of the selection (the group
    when none), by the chosen statistic, per setting (experiment or group-by value)."""
    if not stored:
        empty = FilterGrid.fit(0)
        return "", "", None, [], [], empty, [], [], empty, ""
    data = from_store(stored, GROUP_FIELDS)
    comparisons = _comparisons(stored_comparison)
    ids = _selected(selected)
    experiments = _scope(data, ids)
    labels = experiment_labels(data["experiments"])
    statistic = statistic_text(comparisons.get("statistic", "best"), comparisons.get("step"))
    by_metric = _settings_by_metric(data, comparisons, ids, group_by, names)
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
    aggregate_rows, aggregate_columns = aggregate_table(by_metric, statistic)
    trial_rows, trial_columns = trial_table(experiments, data["metrics"], labels, f"{PREFIX}trial/")
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
    preview = {"group": data["group"], "metrics": data["metrics"], "experiments": experiments}
    text = json.dumps(to_store(preview, GROUP_FIELDS), indent=1)
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
    prevent_initial_call=True,  # the layout draws the first view
)
def show_band_choice(aggregation: str) -> str:
    return "kuro-field" if aggregation == "mean" else "kuro-field kuro-disabled"


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
    ids = _selected(selected)
    comparisons = _comparisons(stored_comparison)
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
        experiments = _scope(data, ids[:MAX_CURVE_EXPERIMENTS])
        labels = experiment_labels(data["experiments"])
        scope = "One chart per series metric of the selected experiments."
    names = series_metrics(experiments)
    if not names:
        hint = "These experiments log only summary values (one point)."
        return empty_state("No series to draw", hint), scope
    trial_ids = [t["id"] for e in experiments for t in e["trials"]]
    histories = selectors.metric_history(trial_ids=trial_ids, metrics=names, max_points=MAX_POINTS)
    charts: Any = curve_charts(
        metrics=[m for m in data["metrics"] if m["name"] in names],
        experiments=experiments,
        histories={h["trial_id"]: h["metrics"] for h in histories},
        labels=labels,
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


@callback(
    Output("compare-parallel", "children"),
    Input("compare-group", "data"),
    Input("compare-metric", "value"),
)
def show_parallel(stored: dict[str, Any] | None, metric: str | None) -> Any:
    """The parallel-coordinates chart, drawn just after the page: it is WebGL, about 0.6 s
    of the browser's time in software rendering, and below the fold."""
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


def _first_view(state: dict[str, Any]) -> dict[str, Any]:
    """What the callbacks would draw for ``state``, computed while the layout is built."""
    try:
        stored, status, message, groups, group, body_class = load_group(state["group"], 0, 0)
    except DatabaseError as error:  # e.g. tables not created yet: say so, do not crash
        stored, status, message = None, "", error_state(f"The database is not ready: {error}")
        groups, group, body_class = [], state["group"], "kuro-hidden"
    (
        experiment_rows,
        experiment_columns,
        experiment_style,
        selection,
        metrics,
        _,
        metric,
        keys,
    ) = show_experiments(stored, state["metric"], state["selected"], None)
    selected_rows = selection if selection is not no_update else []
    comparison, _ = load_comparison(stored, state["statistic"], state["step"])
    metric_views = show_selection(selected_rows, stored, comparison, None, state["by"])
    curves, curves_scope = show_curves(
        selected_rows,
        stored,
        comparison,
        metric,
        state["by"],
        state["trials"],
        state["band"],
        state["smoothing"],
        ["log"] if state["log"] else [],
        state["x"],
    )
    return {
        "stored": stored,
        "status": status,
        "message": message,
        "groups": groups,
        "group": group,
        "body_class": body_class,
        "experiment_rows": experiment_rows,
        "experiment_columns": experiment_columns,
        "experiment_style": experiment_style,
        "selected_rows": selected_rows,
        "metrics": metrics,
        "metric": metric,
        "keys": keys,
        "comparison": comparison,
        **dict(zip(_SELECTION_VIEWS, metric_views, strict=True)),
        "curves": curves,
        "curves_scope": curves_scope,
    }


_SELECTION_VIEWS = (
    "selection",
    "scope",
    "bars",
    "aggregate_rows",
    "aggregate_columns",
    "aggregate_style",
    "trial_rows",
    "trial_columns",
    "trial_style",
    "json",
)
"""The keys of ``show_selection``'s outputs in ``_first_view``."""


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
            "selected": _selected(selected),
            "trials": aggregation,
            "band": band_kind,
            "x": x_axis,
            "smoothing": smoothing or 0.0,
            "log": "log" in (log_y or ()),
        }
    )


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
    ids = _selected(selected) or [e["id"] for e in data["experiments"]]
    stem = f"kuro-{data['group']}-{len(ids)}-experiments"
    if dash.ctx.triggered_id == "compare-download-comparison-button":
        comparisons = _comparisons(stored_comparison)
        by_metric = _settings_by_metric(
            from_store(data, GROUP_FIELDS), comparisons, _selected(selected), group_by
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
