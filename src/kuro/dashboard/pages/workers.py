"""The workers page (``/dashboard/workers``): each worker's resources and last heartbeat,
and the trials running now."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, callback, html

from kuro.dashboard.components.cards import section
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.components.refresh import RefreshControls
from kuro.dashboard.formats import moment
from kuro.dashboard.mount import PREFIX, group_href
from kuro.server.tracking import selectors

__all__ = ["layout"]

WORKER_COLUMNS = [
    {"field": "name", "headerName": "Worker", "pinned": "left", "minWidth": 130},
    {"field": "n_running", "headerName": "Running", "minWidth": 110, "type": "rightAligned"},
    {"field": "last_seen", "headerName": "Last seen", "minWidth": 200, "sort": "desc"},
    {"field": "hostname", "headerName": "Host", "minWidth": 120},
    {"field": "cpu", "headerName": "CPU", "minWidth": 160},
    {"field": "memory_gib", "headerName": "Memory (GiB)", "type": "rightAligned"},
    {"field": "gpus", "headerName": "GPUs", "minWidth": 160},
    {"field": "platform", "headerName": "Platform", "minWidth": 140},
    {"field": "python_version", "headerName": "Python", "minWidth": 105},
]
RUNNING_COLUMNS = [
    {"field": "trial", "headerName": "Trial", "cellRenderer": "markdown", "maxWidth": 110},
    {"field": "group", "headerName": "Group", "cellRenderer": "markdown"},
    {"field": "experiment", "headerName": "Experiment"},
    {"field": "worker", "headerName": "Worker"},
    {"field": "started", "headerName": "Started", "minWidth": 200, "sort": "desc"},
    {"field": "heartbeat", "headerName": "Last heartbeat", "minWidth": 200},
]


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H1("Workers"),
                    html.P(
                        "The machines that run trials, and what they run now.",
                        className="kuro-subtitle",
                    ),
                ],
                className="kuro-page-head",
            ),
            html.Div(RefreshControls("workers-refresh", every="60"), className="kuro-toolbar"),
            section(
                "Workers",
                FilterGrid(
                    "workers-list",
                    height=None,
                    placeholder="Filter workers…",
                ),
            ),
            section(
                "Running trials",
                FilterGrid(
                    "workers-running",
                    height=None,
                    placeholder="Filter running trials…",
                ),
            ),
        ],
        className="kuro-page",
    )


dash.register_page(__name__, path="/workers", name="Workers", title="Kuro · workers", layout=layout)


def _escape(text: str) -> str:
    """Text safe inside a Markdown link label."""
    return "".join(f"\\{c}" if c in "\\[]()*_`<>" else c for c in text)


def _gpus(gpus: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{g.get('name', '?')} ({g['memory_gib']:g} GiB)"
        if g.get("memory_gib")
        else g.get("name", "?")
        for g in gpus or ()
    )


@callback(
    Output(FilterGrid.ids.grid("workers-list"), "rowData"),
    Output(FilterGrid.ids.grid("workers-list"), "columnDefs"),
    Output(FilterGrid.ids.grid("workers-running"), "rowData"),
    Output(FilterGrid.ids.grid("workers-running"), "columnDefs"),
    Input(RefreshControls.ids.button("workers-refresh"), "n_clicks"),
    Input(RefreshControls.ids.interval("workers-refresh"), "n_intervals"),
)
def show_workers(_clicks: int, _ticks: int) -> tuple:
    workers = [
        {**w, "key": w["name"], "gpus": _gpus(w["gpus"]), "last_seen": moment(w["last_seen_at"])}
        for w in selectors.worker_list()
    ]
    running = [
        {
            **t,
            "key": str(t["id"]),
            "started": moment(t["started_at"]),
            "heartbeat": moment(t["heartbeat_at"]),
            "trial": f"[#{t['id']}]({PREFIX}trial/{t['id']})",
            "group": f"[{_escape(t['group'])}]({group_href(t['group'])})",
            "experiment": f"{t['identifier']} #{t['experiment_id']} · trial {t['number']}",
        }
        for t in selectors.running_trials()
    ]
    return (
        workers,
        FilterGrid.titled(WORKER_COLUMNS),
        running,
        FilterGrid.titled(RUNNING_COLUMNS),
    )
