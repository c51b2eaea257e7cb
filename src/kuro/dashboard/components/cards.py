"""Page furniture: sections (cards), empty, error and note states. Stateless, so plain
functions rather than All-in-One components."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dash import html

from kuro.dashboard.formats import count_text, value_text

__all__ = ["empty_state", "error_state", "note", "section", "verdict_card"]


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
    props: dict[str, Any] = {"id": id} if id else {}
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


def verdict_card(metric: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> html.Div:
    """Which setting leads a metric, its 95% interval, and whether the runner-up is told
    apart from it (``comparison.settings`` rows, ranked; the statistics of the chart)."""
    arrow = "↑" if metric["mode"] == "max" else "↓"
    head = html.Div(f"{metric['name']} {arrow}", className="kuro-verdict-metric")
    ranked = [r for r in rows if r["n"] and not math.isnan(r["mean"])]
    if not ranked:
        return html.Div(
            [head, html.Div("no values yet", className="kuro-muted")], className="kuro-verdict"
        )
    leader = ranked[0]
    if leader["n"] == 1:
        spread = " from one trial: no interval yet"
    elif math.isfinite(leader["ci_low"]):
        spread = f" [{value_text(leader['ci_low'])}, {value_text(leader['ci_high'])}]"
    else:
        spread = ""
    lines: list[Any] = [
        head,
        html.Div(
            leader["label"], className="kuro-verdict-winner", title=" · ".join(leader["hover"])
        ),
        html.Div(
            [
                html.Strong(value_text(leader["mean"])),
                spread,
                f" · {count_text(leader['n'], 'trial')}" if leader["n"] > 1 else "",
            ],
        ),
    ]
    if len(ranked) > 1:
        runner = ranked[1]
        against = runner["versus_leader"] or {}
        difference = against.get("difference", math.nan)
        if difference == 0:
            gap = f"Tied with {runner['label']}"
        elif math.isnan(difference):
            gap = f"Ahead of {runner['label']}"
        else:
            gap = f"{value_text(abs(difference))} ahead of {runner['label']}"
        tied = sum(1 for r in ranked[1:] if not (r["versus_leader"] or {}).get("separated"))
        lines.append(
            html.Div(
                [
                    gap,
                    html.Br(),
                    html.Span(
                        against.get("verdict", ""),
                        className="kuro-muted" if against.get("separated") else "kuro-warn",
                    ),
                ],
                className="kuro-verdict-gap",
            )
        )
        if tied:
            lines.append(
                html.Div(
                    f"{count_text(tied, 'setting')} not separated from the leader",
                    className="kuro-warn",
                )
            )
    return html.Div(lines, className="kuro-verdict")
