"""Page furniture: sections (cards), empty, error and note states. Stateless, so plain
functions rather than All-in-One components."""

from __future__ import annotations

from typing import Any

from dash import html

from kuro.dashboard.formats import count_text

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


def verdict_card(
    metric: dict[str, str], result: dict[str, Any] | None, labels: dict[int, str]
) -> html.Div:
    """Which experiment wins a metric, by how much, and how noisy its trials are."""
    arrow = "↑" if metric["mode"] == "max" else "↓"
    head = html.Div(f"{metric['name']} {arrow}", className="kuro-verdict-metric")
    if result is None:
        return html.Div(
            [head, html.Div("no values yet", className="kuro-muted")], className="kuro-verdict"
        )
    winner, runner_up = result["winner"], result["runner_up"]
    spread = f" ± {winner['std']:.3g}" if winner["std"] is not None else ""
    lines = [
        head,
        html.Div(labels.get(winner["experiment_id"], ""), className="kuro-verdict-winner"),
        html.Div(
            [
                html.Strong(f"{winner['mean']:.4g}{spread}"),
                f" over {count_text(winner['n'], 'trial')}",
            ],
        ),
    ]
    if runner_up is not None:
        margin = result["margin"]
        noisy = winner["std"] is not None and abs(margin) < winner["std"]
        lines.append(
            html.Div(
                [
                    f"{margin:+.3g} ahead of {labels.get(runner_up['experiment_id'], '')}",
                    html.Span(" · within one std", className="kuro-warn") if noisy else None,
                ],
                className="kuro-muted",
            )
        )
    return html.Div(lines, className="kuro-verdict")
