"""The trial page (``/dashboard/trial/<id>``): status, worker, timings, hyper-parameters,
summaries, every series metric and the run context (what the trial was) of one trial."""

from __future__ import annotations

import json
from typing import Any

import dash
from dash import Input, Output, State, callback, dcc, html

from kuro.core.errors import KuroError
from kuro.core.labels import flatten
from kuro.dashboard.components.annotations import trial_annotations
from kuro.dashboard.components.cards import empty_state, error_state, note, section
from kuro.dashboard.components.curves import curve_card, curve_recipe
from kuro.dashboard.components.refresh import RefreshControls
from kuro.dashboard.components.telemetry import telemetry_sections
from kuro.dashboard.figures.curves import MAX_POINTS
from kuro.dashboard.figures.theme import color
from kuro.dashboard.formats import duration_text, moment, number
from kuro.dashboard.mount import PREFIX, group_href
from kuro.dashboard.tables import duration
from kuro.server.tracking import selectors

__all__ = ["context_section", "layout"]


def layout(trial_id: str | None = None, **_: Any) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H1(f"Trial {trial_id}" if trial_id else "Trial"),
                    html.P(id="trial-subtitle", className="kuro-subtitle"),
                ],
                className="kuro-page-head",
            ),
            html.Div([RefreshControls("trial-refresh")], className="kuro-toolbar"),
            dcc.Store(id="trial-id", data=trial_id),
            dcc.Loading(html.Div(id="trial-content"), delay_show=200),
            trial_annotations(trial_id),  # outside the refreshed content: edits survive it
        ],
        className="kuro-page",
    )


dash.register_page(
    __name__, path_template="/trial/<trial_id>", name="Trial", title="Kuro · trial", layout=layout
)


def _fact(label: str, value: Any) -> html.Div:
    return html.Div(
        [html.Span(label, className="kuro-fact-label"), html.Span(value)], className="kuro-fact"
    )


def _value_table(rows: list[tuple[Any, ...]], head: tuple[str, ...]) -> html.Table:
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in head])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ],
        className="kuro-table",
    )


def context_section(context: dict[str, Any] | None) -> Any:
    """What the trial was: commit, branch, command, host... and, folded, its diff and its
    packages. Every value is a user's string, shown as text (Dash escapes it)."""
    if not context:
        return section(
            "Context", empty_state("No run context", "The trial sent none (capture off).")
        )
    git = context.get("git")
    scheduler = context.get("scheduler") or {}
    facts = [
        _fact("Commit", git["commit"] if git else "not a git repository"),
        _fact("Branch", (git["branch"] or "—") if git else "—"),
        _fact("Dirty", ("yes" if git["dirty"] else "no") if git else "—"),
        _fact("Remote", (git["remote"] or "—") if git else "—"),
        _fact("Command", " ".join(context.get("argv") or []) or "—"),
        _fact("Working directory", context.get("cwd") or "—"),
        _fact(
            "Python",
            f"{context.get('python_version') or '?'} ({context.get('python_executable') or '?'})",
        ),
        _fact("Host", context.get("hostname") or "—"),
    ]
    if context.get("cuda_visible_devices") is not None:
        facts.append(_fact("CUDA_VISIBLE_DEVICES", context["cuda_visible_devices"]))
    facts += [_fact(name, value) for name, value in sorted(scheduler.items())]
    folds = []
    if git and git["diff"]:
        cut = " (cut)" if git["diff_truncated"] else ""
        folds.append(
            html.Details(
                [
                    html.Summary(f"Diff against the commit{cut}"),
                    html.Pre(git["diff"], className="kuro-pre"),
                ],
                id="trial-context-diff",
            )
        )
    packages = context.get("packages") or []
    folds.append(
        html.Details(
            [
                html.Summary(f"{len(packages)} packages"),
                html.Pre("\n".join(packages), className="kuro-pre"),
            ],
            id="trial-context-packages",
        )
    )
    return section("Context", [html.Div(facts, className="kuro-facts kuro-context-facts"), *folds])


@callback(
    Output("trial-content", "children"),
    Output("trial-subtitle", "children"),
    Input("trial-id", "data"),
    Input(RefreshControls.ids.button("trial-refresh"), "n_clicks"),
    Input(RefreshControls.ids.interval("trial-refresh"), "n_intervals"),
    State("trial-id", "data"),
)
def show_trial(trial_id: str | None, _clicks: int, _ticks: int, _state: Any) -> tuple:
    try:
        trial = selectors.trial_detail(trial_id=int(trial_id or ""))
    except (KuroError, ValueError):
        return error_state(f"there is no trial {trial_id!r}"), ""
    history = selectors.metric_history(trial_ids=[trial["id"]], max_points=MAX_POINTS)[0]
    group_link = group_href(trial["group"])
    subtitle = [
        html.A(trial["group"], href=group_link),
        f" / {trial['identifier']} #{trial['experiment_id']} / trial number {trial['number']}",
    ]
    facts = html.Div(
        [
            _fact(
                "Status",
                html.Span(trial["status"], className=f"kuro-badge kuro-status-{trial['status']}"),
            ),
            _fact(
                "Worker",
                html.A(trial["worker"], href=f"{PREFIX}workers") if trial["worker"] else "—",
            ),
            _fact("Started", moment(trial["started_at"])),
            _fact("Ended", moment(trial["ended_at"])),
            _fact("Last heartbeat", moment(trial["heartbeat_at"])),
            _fact(
                "Duration",
                duration_text(
                    duration(trial["started_at"], trial["ended_at"] or trial["heartbeat_at"])
                ),
            ),
        ],
        className="kuro-facts",
    )
    error = note(["Error: ", html.Code(trial["error"])]) if trial["error"] else None
    params = flatten(trial["hyper_parameters"] or {})
    params_table = (
        _value_table(
            [(k, json.dumps(v) if not isinstance(v, str) else v) for k, v in params.items()],
            ("key", "value"),
        )
        if params
        else empty_state("No hyper-parameters")
    )
    summaries = trial["summaries"]
    summary_table = (
        _value_table(
            [
                (name, number(s["best"]), number(s["last"]), s["last_step"], s["count"])
                for name, s in sorted(summaries.items())
            ],
            ("metric", "best", "last", "last step", "points"),
        )
        if summaries
        else empty_state("No metric values yet")
    )
    charts = []
    for i, (name, series) in enumerate(sorted(history["metrics"].items())):
        if series["count"] < 2:
            continue
        recipe = curve_recipe(
            name,
            [
                {
                    "id": trial["id"],
                    "label": name,
                    "color": color(i),
                    "best_trial": trial["id"],
                    "trials": [{"id": trial["id"], "number": trial["number"]}],
                }
            ],
            aggregation="all",
            show_legend=False,
        )
        charts.append(curve_card(f"trial:{name}", recipe, {trial["id"]: history["metrics"]}))
    content = [
        section("Status", [facts, error]),
        html.Div(
            [section("Hyper-parameters", params_table), section("Summaries", summary_table)],
            className="kuro-two-columns",
        ),
        section(
            "Series",
            html.Div(charts, className="kuro-chart-grid")
            if charts
            else empty_state("No series metric", "This trial logged only summary values."),
        ),
        context_section(trial.get("context")),
        *telemetry_sections(trial["id"]),
    ]
    return content, subtitle
