"""``chart``: a Plotly figure as a ``dcc.Graph`` sized to the figure's own height, so a
caption below it never overlaps (a responsive graph otherwise fills its parent)."""

from __future__ import annotations

from typing import Any

from dash import dcc

__all__ = ["GRAPH_CONFIG", "chart"]

GRAPH_CONFIG: Any = {"displaylogo": False, "responsive": True}


def chart(figure: dict[str, Any], **props: Any) -> dcc.Graph:
    height = figure.get("layout", {}).get("height", 360)
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG, style={"height": f"{height}px"}, **props)
