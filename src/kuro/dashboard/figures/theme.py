"""The dashboard's look for Plotly figures: one palette, one base layout.

Figures are plain dicts (what ``dcc.Graph`` takes), so building them costs no validation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["PALETTE", "base_layout", "color", "finite_or_none", "translucent"]

# Tableau 10: distinct, colour-blind friendlier than Plotly's default.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
FONT = "Inter, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
GRID = "#e9edf2"


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def translucent(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def finite_or_none(values: Iterable[float]) -> list[float | None]:
    """JSON has no NaN: a gap in a line is None."""
    return [v if v is not None and math.isfinite(v) else None for v in values]


def base_layout(**overrides: Any) -> dict[str, Any]:
    axis = {
        "gridcolor": GRID,
        "zerolinecolor": GRID,
        "linecolor": "#cfd6de",
        "ticks": "outside",
        "tickcolor": "#cfd6de",
        "automargin": True,
    }
    layout: dict[str, Any] = {
        "font": {"family": FONT, "size": 12, "color": "#273142"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 56, "r": 16, "t": 40, "b": 44},
        "hovermode": "closest",
        "hoverlabel": {"font": {"family": FONT}},
        "colorway": list(PALETTE),
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "legend": {"orientation": "h", "y": -0.22, "x": 0, "font": {"size": 11}},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout
