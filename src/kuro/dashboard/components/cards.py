"""Page furniture: sections (cards), empty, error and note states. Stateless, so plain
functions rather than All-in-One components."""

from __future__ import annotations

from typing import Any

from dash import html

__all__ = ["empty_state", "error_state", "note", "section"]


def section(
    title: str,
    children: Any,
    *,
    subtitle: Any = None,
    tools: Any = None,
    id: str | None = None,
) -> html.Section:
    head = html.Div(
        [
            html.Div(
                [
                    html.H2(title),
                    html.P(subtitle, className="kuro-subtitle") if subtitle is not None else None,
                ]
            ),
            html.Div(tools, className="kuro-section-tools") if tools is not None else None,
        ],
        className="kuro-section-head",
    )
    props = {"id": id} if id else {}
    return html.Section(
        [head, html.Div(children, className="kuro-section-body")], className="kuro-card", **props
    )


def empty_state(title: str, hint: Any = None) -> html.Div:
    return html.Div(
        [
            html.Div("◌", className="kuro-empty-mark"),
            html.Strong(title),
            html.P(hint) if hint else None,
        ],
        className="kuro-empty",
    )


def error_state(message: str) -> html.Div:
    return html.Div(
        [html.Strong("Could not load: "), message], className="kuro-error", role="alert"
    )


def note(text: Any) -> html.Div:
    return html.Div(text, className="kuro-note")
