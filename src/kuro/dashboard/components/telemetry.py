"""The trial page's telemetry: system charts (CPU, memory, GPUs over time) and the console
output, searchable with a filter box and downloadable as a .txt from the server.

Read through the telemetry app's selectors only; user text is shown as text (Dash escapes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from dash import MATCH, Input, Output, callback, ctx, dcc, html

from kuro.core.errors import KuroError
from kuro.dashboard.components.cards import empty_state, note, section
from kuro.dashboard.components.chart import chart
from kuro.dashboard.figures.theme import base_layout, color
from kuro.server.telemetry import selectors

__all__ = ["SHOWN_MAX", "output_section", "system_figures", "system_section", "telemetry_sections"]

SHOWN_MAX = 200_000
"""Characters of output shown on the page (its end); the download holds all that is kept."""
_CHARTS = (
    ("CPU and GPU use (%)", lambda n: n.endswith(("cpu_percent", "utilization_percent"))),
    ("Memory (MiB)", lambda n: n.endswith("_mib")),
    ("Memory (% of the machine or device)", lambda n: n.endswith("memory_percent")),
)
_LABELS = {
    "cpu_percent": "process CPU",
    "system_cpu_percent": "machine CPU",
    "memory_mib": "process memory",
    "system_memory_used_mib": "machine memory",
    "system_memory_percent": "machine memory",
}


def _ids(part: str, trial_id: Any) -> dict[str, Any]:
    """The id of a part of the output viewer. Pattern-matching ids: the viewer is made by
    the trial page's callback, and Dash checks plain ids against the first layout."""
    return {"type": f"trial-output-{part}", "trial": trial_id}


def _label(name: str) -> str:
    if name in _LABELS:
        return _LABELS[name]
    return name.replace("_percent", "").replace("_mib", "").replace("_", " ")


def _finite(values: Sequence[float | None]) -> list[float | None]:
    """JSON has no NaN: a gap in a line is None."""
    return [v if v is not None and math.isfinite(v) else None for v in values]


def system_figures(series: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One line chart per kind of value (use, memory in MiB, memory in %) of the samples
    ``selectors.system_series`` answers; none without samples."""
    times = [
        dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds") for t in series["times"]
    ]
    values: Mapping[str, Sequence[float | None]] = series["values"]
    figures = []
    for title, wanted in _CHARTS:
        names = sorted(n for n in values if wanted(n))
        if not names:
            continue
        traces = [
            {
                "type": "scatter",
                "mode": "lines+markers" if len(times) < 30 else "lines",
                "name": _label(name),
                "meta": name,
                "x": times,
                "y": _finite(values[name]),
                "line": {"color": color(i), "width": 2},
            }
            for i, name in enumerate(names)
        ]
        figures.append(
            {
                "data": traces,
                "layout": base_layout(
                    title={"text": title, "font": {"size": 14}},
                    height=300,
                    meta=title,
                    yaxis={"rangemode": "tozero"},
                ),
            }
        )
    return figures


def system_section(trial_id: int) -> html.Section:
    try:
        series = selectors.system_series(trial_id=trial_id)
    except KuroError:
        series = {"times": [], "values": {}}
    figures = system_figures(series)
    if not figures:
        body: Any = empty_state(
            "No system samples",
            "Workers sample CPU, memory and GPUs every KURO_SYSTEM_INTERVAL seconds "
            "(5 by default; 0, or KURO_CAPTURE=off, for none).",
        )
    else:
        body = html.Div(
            [html.Div(chart(f), className="kuro-chart") for f in figures],
            className="kuro-chart-grid",
        )
    count = len(series["times"])
    return section(
        "System",
        body,
        subtitle=f"{count:,} samples, kept apart from the metrics" if count else None,
        id="trial-system",
    )


def _shown(text: str) -> tuple[str, Any]:
    if len(text) <= SHOWN_MAX:
        return text, None
    return text[-SHOWN_MAX:], note(
        f"Showing the last {SHOWN_MAX:,} of {len(text):,} characters: download for all."
    )


def output_section(trial_id: int) -> html.Section:
    try:
        output = selectors.trial_output(trial_id=trial_id)
    except KuroError:
        output = {"text": "", "chars": 0, "cut_chars": 0, "matches": None}
    if not output["text"]:
        return section(
            "Output",
            empty_state(
                "No output",
                "Commands run by kuro agent keep their output; a training script keeps its "
                "own with KURO_CAPTURE_OUTPUT=1 or Worker(..., capture_output=True).",
            ),
            id="trial-output",
        )
    text, shown_note = _shown(output["text"])
    cut = output["cut_chars"]
    subtitle = f"{output['chars']:,} characters kept" + (
        f", {cut:,} cut from the middle" if cut else ""
    )
    tools = [
        dcc.Input(
            id=_ids("filter", trial_id),
            type="search",
            placeholder="Filter lines…",
            debounce=True,
            className="kuro-search kuro-output-filter",
        ),
        html.A(
            "Download .txt",
            id="trial-output-download",
            href=f"/api/v1/trials/{trial_id}/output.txt",
            download=f"trial-{trial_id}-output.txt",
            className="kuro-button",
        ),
    ]
    return section(
        "Output",
        [
            html.Div(shown_note, id=_ids("count", trial_id), className="kuro-output-count"),
            html.Pre(text, id=_ids("text", trial_id), className="kuro-pre kuro-output-text"),
        ],
        subtitle=subtitle,
        tools=tools,
        id="trial-output",
    )


def telemetry_sections(trial_id: int) -> list[html.Section]:
    """The system charts and the output of trial ``trial_id``, for the trial page."""
    return [system_section(trial_id), output_section(trial_id)]


@callback(
    Output(_ids("text", MATCH), "children"),
    Output(_ids("count", MATCH), "children"),
    Input(_ids("filter", MATCH), "value"),
    prevent_initial_call=True,
)
def filter_output(search: str | None) -> tuple[str, Any]:
    """The lines of the output holding ``search`` (case-insensitive); all with none."""
    trial_id = ctx.triggered_id["trial"] if ctx.triggered_id else None
    try:
        output = selectors.trial_output(trial_id=int(trial_id or ""), search=search or "")
    except (KuroError, ValueError, TypeError):
        return "", "This trial's output cannot be read."
    text, shown_note = _shown(output["text"])
    if output["matches"] is None:
        return text, shown_note
    return text, f"{output['matches']:,} matching lines"
