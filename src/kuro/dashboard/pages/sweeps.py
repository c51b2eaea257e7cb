"""The sweeps page: ``/dashboard/sweeps`` lists the sweeps; ``/dashboard/sweeps/<id>`` (or
``?sweep=<id>``) shows one: progress by trial status, the best configuration so far, the
objective against configuration number, parameter importance, parallel coordinates and
every configuration.

Data flow (one sweep): ``sweeps-data`` (a store) holds ``selectors.sweep_detail`` (its
values as wire values: JSON has no infinities) and ``selectors.sweep_importance``,
reloaded by the update button and auto-refresh; the views derive from it. Importance
(fANOVA, the costly read) is recomputed only when the number of scored configurations
changed since the last load.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from kuro.core.errors import KuroError
from kuro.dashboard.components.cards import empty_state, error_state, section
from kuro.dashboard.components.chart import chart
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.components.refresh import RefreshControls
from kuro.dashboard.figures.sweeps import (
    importance_figure,
    objective_figure,
    sweep_parallel_figure,
)
from kuro.dashboard.formats import count_text
from kuro.dashboard.mount import PREFIX, group_href
from kuro.dashboard.sweep_tables import (
    STATUS_ORDER,
    config_table,
    detail_from_store,
    detail_to_store,
    params_rows,
    status_text,
    sweep_table,
    value_text,
)
from kuro.server.queue import selectors

__all__ = ["layout", "sweep_layout"]

HREF = f"{PREFIX}sweeps"
START = (
    "Start workers with kuro agent --sweep {id} -- python train.py (or worker.work(sweep={id}))."
)


def layout(sweep: str | None = None, **_: Any) -> html.Div:
    """The list, or one sweep when the address says ``?sweep=<id>``."""
    return _detail_layout(sweep) if sweep else _list_layout()


def sweep_layout(sweep_id: str | None = None, **_: Any) -> html.Div:
    return _detail_layout(sweep_id)


# Two pages of one module: Dash checks callbacks against each page's layout called without
# arguments, so the list and one sweep are registered apart (the second under a name of
# its own) to put both sets of ids there.
dash.register_page(__name__, path="/sweeps", name="Sweeps", title="Kuro · sweeps", layout=layout)
dash.register_page(
    f"{__name__}.sweep",
    path_template="/sweeps/<sweep_id>",
    name="Sweep",
    title="Kuro · sweep",
    layout=sweep_layout,
)


def _head(title: Any, subtitle: Any, subtitle_id: str | None = None) -> html.Div:
    props: dict[str, Any] = {"id": subtitle_id} if subtitle_id else {}
    return html.Div(
        [html.H1(title), html.P(subtitle, className="kuro-subtitle", **props)],
        className="kuro-page-head",
    )


def _list_layout() -> html.Div:
    return html.Div(
        [
            _head(
                "Sweeps",
                "Hyper-parameter searches: Optuna's samplers propose configurations, "
                "workers run their trials from the queue.",
            ),
            html.Div(
                [
                    RefreshControls("sweeps-list-refresh", every="60"),
                    html.Span(id="sweeps-list-status", className="kuro-status"),
                ],
                className="kuro-toolbar",
            ),
            html.Div(id="sweeps-list-message"),
            section(
                "Sweeps",
                FilterGrid("sweeps-list", height=200, placeholder="Filter sweeps…"),
                subtitle="Open a sweep for its progress, best configuration and charts.",
            ),
        ],
        className="kuro-page",
    )


def _detail_layout(sweep_id: str | None) -> html.Div:
    return html.Div(
        [
            _head(html.Span(f"Sweep {sweep_id}", id="sweeps-title"), None, "sweeps-subtitle"),
            html.Div(
                [
                    dcc.Link("← All sweeps", href=HREF, className="kuro-button"),
                    RefreshControls("sweeps-refresh", every="60"),
                    html.Span(id="sweeps-status", className="kuro-status"),
                ],
                className="kuro-toolbar",
            ),
            dcc.Store(id="sweeps-id", data=sweep_id),
            dcc.Store(id="sweeps-data"),
            dcc.Loading(html.Div(id="sweeps-message"), type="dot", delay_show=300),
            html.Div(
                [
                    html.Div(
                        [
                            section("Progress", html.Div(id="sweeps-progress")),
                            section(
                                "Best configuration so far",
                                html.Div(id="sweeps-best"),
                                subtitle="Mean ± std of the objective over its complete "
                                "trials, and the 95% interval of the mean.",
                            ),
                        ],
                        className="kuro-two-columns",
                    ),
                    section(
                        "Objective by configuration",
                        html.Div(id="sweeps-objective"),
                        subtitle="Each configuration's mean over its trials with its 95% "
                        "interval (none for a single trial; hollow while it runs) in the "
                        "order the sampler proposed them, and the best so far.",
                    ),
                    section(
                        "Parameter importance",
                        html.Div(id="sweeps-importance"),
                        subtitle="How much of the objective's variation each parameter explains "
                        "(Optuna's fANOVA evaluator over the scored configurations).",
                    ),
                    section(
                        "Parameters against the objective",
                        html.Div(id="sweeps-parallel"),
                        subtitle="Each line is a configuration, the most important parameters "
                        "first; drag along an axis to filter.",
                    ),
                    section(
                        "Configurations",
                        FilterGrid(
                            "sweeps-configs",
                            height=320,
                            placeholder="Filter configurations…",
                            rowClassRules={"kuro-best-row": "params.data.best"},
                        ),
                        subtitle="Every configuration proposed so far; the best is highlighted.",
                        tools=html.A(id="sweeps-compare", className="kuro-button"),
                    ),
                ],
                id="sweeps-body",
            ),
        ],
        className="kuro-page",
    )


def _stamp() -> str:
    return "updated " + datetime.now(UTC).astimezone().strftime("%H:%M:%S")


# The list ---------------------------------------------------------------------------------


@callback(
    Output(FilterGrid.ids.grid("sweeps-list"), "rowData"),
    Output(FilterGrid.ids.grid("sweeps-list"), "columnDefs"),
    Output(FilterGrid.ids.grid("sweeps-list"), "style"),
    Output("sweeps-list-message", "children"),
    Output("sweeps-list-status", "children"),
    Input(RefreshControls.ids.button("sweeps-list-refresh"), "n_clicks"),
    Input(RefreshControls.ids.interval("sweeps-list-refresh"), "n_intervals"),
)
def show_sweeps(_clicks: int, _ticks: int) -> tuple:
    sweeps = selectors.sweep_list()
    rows, columns = sweep_table(sweeps, HREF)
    message = (
        None
        if sweeps
        else empty_state(
            "No sweeps yet",
            [
                "Create one with ",
                html.Code("kuro sweep create sweep.yaml"),
                " (or POST /api/v1/sweeps), then start agents on it.",
            ],
        )
    )
    status = f"{count_text(len(sweeps), 'sweep')} · {_stamp()}"
    return (
        rows,
        FilterGrid.titled(columns),
        FilterGrid.fit(len(rows), max_height=600),
        message,
        status,
    )


# One sweep --------------------------------------------------------------------------------


def _n_scored(detail: dict[str, Any]) -> int:
    return sum(1 for c in detail["configs"] if c["state"] == "complete" and c["value"] is not None)


@callback(
    Output("sweeps-data", "data"),
    Output("sweeps-title", "children"),
    Output("sweeps-subtitle", "children"),
    Output("sweeps-status", "children"),
    Output("sweeps-message", "children"),
    Output("sweeps-body", "className"),
    Input("sweeps-id", "data"),
    Input(RefreshControls.ids.button("sweeps-refresh"), "n_clicks"),
    Input(RefreshControls.ids.interval("sweeps-refresh"), "n_intervals"),
    State("sweeps-data", "data"),
)
def load_sweep(sweep_id: str | None, _clicks: int, _ticks: int, previous: Any) -> tuple:
    """Read the sweep (and its importances when new configurations were scored)."""
    hidden = "kuro-hidden"
    try:
        detail = selectors.sweep_detail(sweep_id=int(sweep_id or ""))
    except (KuroError, ValueError):
        failure = error_state(f"there is no sweep {sweep_id!r}; see the list of sweeps.")
        return None, f"Sweep {sweep_id}", None, "", failure, hidden
    scored = _n_scored(detail)
    same = previous and previous["sweep"]["id"] == detail["id"] and previous["scored"] == scored
    importance = (
        previous["importance"] if same else selectors.sweep_importance(sweep_id=detail["id"])
    )
    data = {"sweep": detail_to_store(detail), "importance": importance, "scored": scored}
    title = f"Sweep {detail['id']}" + (f" · {detail['name']}" if detail["name"] else "")
    arrow = "↑" if detail["mode"] == "max" else "↓"
    seed = f" (seed {detail['seed']})" if detail["seed"] is not None else ""
    subtitle = [
        html.A(detail["group"], href=group_href(detail["group"])),
        f" / {detail['identifier']} · objective {detail['objective']} {arrow} · "
        f"{detail['sampler']} sampler{seed}"
        + (f" · {detail['pruner']} pruner" if detail["pruner"] != "none" else ""),
    ]
    status = " · ".join(
        [
            f"{detail['n_configs']} of {detail['max_configs']} configurations",
            f"{scored} scored",
            detail["status"],
            _stamp(),
        ]
    )
    message = (
        None
        if detail["configs"]
        else empty_state("No configuration yet", START.format(id=detail["id"]))
    )
    return data, title, subtitle, status, message, "" if detail["configs"] else hidden


def _fact(label: str, value: Any) -> html.Div:
    return html.Div(
        [html.Span(label, className="kuro-fact-label"), html.Span(value)], className="kuro-fact"
    )


def _progress(detail: dict[str, Any]) -> html.Div:
    """A bar of the sweep's trials by status, its legend, and the configuration counts."""
    counts = detail["status_counts"]
    total = sum(counts.values())
    statuses = [s for s in STATUS_ORDER if counts.get(s)] + sorted(set(counts) - set(STATUS_ORDER))
    bar = html.Div(
        [
            html.Div(
                className=f"kuro-progress-part kuro-progress-{s}",
                style={"flexGrow": counts[s]},
                title=f"{counts[s]} {s}",
                **{"data-status": s, "data-count": counts[s]},
            )
            for s in statuses
        ],
        className="kuro-progress",
        id="sweeps-progress-bar",
    )
    legend = html.Div(
        [
            html.Span(
                [html.I(className=f"kuro-progress-dot kuro-progress-{s}"), f"{counts[s]} {s}"],
                className="kuro-progress-key",
            )
            for s in statuses
        ],
        className="kuro-progress-legend",
    )
    finished = sum(counts.get(s, 0) for s in ("complete", "failed", "pruned"))
    facts = html.Div(
        [
            _fact("Configurations", f"{detail['n_configs']} of {detail['max_configs']}"),
            _fact("Scored", str(_n_scored(detail))),
            _fact("Trials ended", f"{finished} of {total}"),
            _fact("Repeats each", str(detail["n_trials"])),
            _fact(
                "Sweep",
                html.Span(detail["status"], className=f"kuro-badge kuro-sweep-{detail['status']}"),
            ),
        ],
        className="kuro-facts",
    )
    if not total:
        return html.Div([empty_state("No trials yet"), facts])
    return html.Div([bar, legend, facts])


def _best(detail: dict[str, Any]) -> html.Div:
    best = detail["best"]
    if best is None:
        return empty_state(
            "No configuration scored yet",
            "A configuration is scored once all its trials have ended.",
        )
    arrow = "↑" if detail["mode"] == "max" else "↓"
    # No spread to show for one trial, nor beside an infinite mean.
    std = best["std"]
    spread = f" ± {value_text(std, '.3g')}" if std is not None and not math.isnan(std) else ""
    rows = params_rows(best["params"])
    return html.Div(
        [
            html.Div(
                [
                    html.Div(f"Configuration #{best['number']}", className="kuro-verdict-winner"),
                    html.Div(
                        [
                            html.Strong(
                                f"{value_text(best['mean'])}{spread}", id="sweeps-best-value"
                            ),
                            f" {detail['objective']} {arrow} over "
                            f"{count_text(best['n_complete'], 'complete trial')}",
                        ]
                    ),
                    html.Div(
                        _interval_text(best), className="kuro-muted", id="sweeps-best-interval"
                    ),
                    html.Div(status_text(best["status_counts"]), className="kuro-muted"),
                ],
                className="kuro-verdict kuro-best",
            ),
            html.Table(
                [
                    html.Thead(html.Tr([html.Th("parameter"), html.Th("value")])),
                    html.Tbody([html.Tr([html.Td(k), html.Td(v)]) for k, v in rows]),
                ],
                className="kuro-table",
            ),
        ]
    )


def _interval_text(config: dict[str, Any]) -> str:
    """The 95% interval of a configuration's mean, or why it has none."""
    low, high = config.get("ci_low"), config.get("ci_high")
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "95% interval of the mean: — (it needs two finite values)"
    return f"95% interval of the mean: [{value_text(low)}, {value_text(high)}]"


@callback(
    Output("sweeps-progress", "children"),
    Output("sweeps-best", "children"),
    Output(FilterGrid.ids.grid("sweeps-configs"), "rowData"),
    Output(FilterGrid.ids.grid("sweeps-configs"), "columnDefs"),
    Output(FilterGrid.ids.grid("sweeps-configs"), "style"),
    Output("sweeps-compare", "children"),
    Output("sweeps-compare", "href"),
    Input("sweeps-data", "data"),
)
def show_overview(data: dict[str, Any] | None) -> tuple:
    """Progress, the best configuration and the configurations' table."""
    if not data:
        return None, None, [], [], FilterGrid.fit(0), None, None
    detail = detail_from_store(data["sweep"])
    rows, columns = config_table(detail)
    return (
        _progress(detail),
        _best(detail),
        rows,
        FilterGrid.titled(columns),
        FilterGrid.fit(len(rows), max_height=480),
        f"Compare in {detail['group']} →",
        group_href(detail["group"]),
    )


def _keys(detail: dict[str, Any], importance: dict[str, float]) -> list[str]:
    """The space's parameters, most important first (the space's order without scores)."""
    keys = list(detail["space"])
    rank = {k: i for i, k in enumerate(sorted(importance, key=lambda k: -importance[k]))}
    return sorted(keys, key=lambda k: (rank.get(k, len(rank)), keys.index(k)))


@callback(
    Output("sweeps-objective", "children"),
    Output("sweeps-importance", "children"),
    Output("sweeps-parallel", "children"),
    Input("sweeps-data", "data"),
)
def show_charts(data: dict[str, Any] | None) -> tuple:
    """The objective by configuration, the importances and the parallel coordinates."""
    if not data:
        return None, None, None
    detail, importance = detail_from_store(data["sweep"]), data["importance"]
    best = detail["best"]
    nothing = empty_state("No configuration has a value yet", "Values appear as trials complete.")
    figures = [
        objective_figure(
            configs=detail["configs"],
            objective=detail["objective"],
            mode=detail["mode"],
            best_number=best["number"] if best else None,
        ),
        importance_figure(importance, scored=_n_finite(detail)),
        sweep_parallel_figure(
            configs=detail["configs"],
            objective=detail["objective"],
            mode=detail["mode"],
            keys=_keys(detail, importance),
        ),
    ]
    for figure in figures:
        if figure is not None:  # keep zoom and axis filters across refreshes
            figure["layout"]["uirevision"] = detail["id"]
    objective, importances, parallel = (
        chart(f, id=f"sweeps-{name}-chart") if f is not None else None
        for f, name in zip(figures, ("objective", "importance", "parallel"), strict=True)
    )
    # (Components without children are falsy: compare with None.)
    return (
        nothing if objective is None else objective,
        _no_importance(data["scored"]) if importances is None else importances,
        nothing if parallel is None else parallel,
    )


def _n_finite(detail: dict[str, Any]) -> int:
    """The scored configurations importances are computed over: those of finite value."""
    return sum(
        1
        for c in detail["configs"]
        if c["state"] == "complete" and c["value"] is not None and math.isfinite(c["value"])
    )


def _no_importance(scored: int) -> html.Div:
    if scored < 2:
        hint = f"They need at least two scored configurations ({scored} so far)."
        return empty_state("No importances yet", hint)
    return empty_state(
        "The scored configurations do not tell the parameters apart",
        "Optuna's evaluator found nothing to apportion (e.g. every value is the same).",
    )
