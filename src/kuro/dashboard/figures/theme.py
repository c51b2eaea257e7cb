"""The dashboard's look for Plotly figures: one palette, one base layout.

Figures are plain dicts (what ``dcc.Graph`` takes), so building them costs no validation.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

__all__ = [
    "PALETTE",
    "base_layout",
    "color",
    "finite_or_none",
    "plot_text",
    "text_width",
    "translucent",
]

# Okabe & Ito's eight colours (black left out: it reads as text), then Paul Tol's "muted"
# scheme (Plotly's ``Safe``) minus its near-duplicates of those: 18 colours that stay
# distinct for the common colour-vision deficiencies, so a chart of 11+ settings does not
# repeat a colour. Yellow last: it is faint on white.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#332288",
    "#117733",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#661100",
    "#6699CC",
    "#DDCC77",
    "#CC6677",
    "#888888",
    "#F0E442",
)
FONT = "Inter, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
GRID = "#e9edf2"


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def plot_text(text: object) -> str:
    """User text (a group, identifier, metric or hyper-parameter) as literal text for a
    Plotly title, legend, hover or tick label: Plotly renders a subset of HTML there, and
    decodes entities, so ``<``, ``>`` and ``&`` are escaped.

    >>> plot_text("<b>lr</b> & co")
    '&lt;b&gt;lr&lt;/b&gt; &amp; co'
    """
    return html.escape(str(text), quote=False)


# Widths in ems of a sans-serif font's characters, a little over Arial's (Helvetica's, and
# Liberation Sans', what Chromium on Linux draws for them).
_NARROW, _THIN, _WIDE = set("ijl|!.,:;'` ·"), set("ftrI()[]{}/\\-"), set("mwMW@%")


def text_width(text: str, size: float = 12) -> float:
    """About how wide ``text`` is drawn at ``size`` px in the dashboard's font, rather over
    than under: a figure leaves that much room for its labels, so Plotly does not find its
    margins too narrow for them (``automargin``), widen them and draw the chart again.

    >>> round(text_width("model #1 · lr=0.1, width=64"))  # Chromium on Linux: 145 px
    157
    """
    ems = 0.0
    for char in text:
        if char in _NARROW:
            ems += 0.29
        elif char in _THIN:
            ems += 0.35
        elif char in _WIDE:
            ems += 0.9
        elif char.isupper():
            ems += 0.73
        elif ord(char) > 0x2E7F:  # CJK and other wide scripts
            ems += 1.0
        else:
            ems += 0.59
    return ems * size


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
        # Plotly's default for a numeric axis, "hide past div", measures every tick label
        # after each drawing (a layout of the page per chart) to hide those past the chart's
        # edge; automargin already makes room for them.
        "ticklabeloverflow": "allow",
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
