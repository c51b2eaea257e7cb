"""``RefreshControls``: an update button and auto-refresh every 60 s or 5 min (or off)."""

from __future__ import annotations

from dash import MATCH, Input, Output, callback, dcc, html

from kuro.dashboard.components.ids import part_id

__all__ = ["RefreshControls"]

EVERY = {"off": "Off", "60": "60 s", "300": "5 min"}


class RefreshControls(html.Div):
    """All-in-One. A page reloads its data on ``n_clicks`` of ``ids.button(aio_id)`` and
    ``n_intervals`` of ``ids.interval(aio_id)``; the radio sets the interval."""

    class ids:
        button = staticmethod(part_id("RefreshControls", "button"))
        every = staticmethod(part_id("RefreshControls", "every"))
        interval = staticmethod(part_id("RefreshControls", "interval"))

    def __init__(self, aio_id: str, *, every: str = "off") -> None:
        super().__init__(
            [
                html.Button(
                    "↻ Update", id=self.ids.button(aio_id), n_clicks=0, className="kuro-button"
                ),
                html.Span("Auto-refresh", className="kuro-label"),
                dcc.RadioItems(
                    id=self.ids.every(aio_id),
                    options=[{"label": v, "value": k} for k, v in EVERY.items()],
                    value=every,
                    inline=True,
                    persistence=True,
                    className="kuro-segmented",
                ),
                dcc.Interval(
                    id=self.ids.interval(aio_id),
                    interval=_milliseconds(every),
                    disabled=every == "off",
                    n_intervals=0,
                ),
            ],
            className="kuro-refresh",
        )


def _milliseconds(every: str) -> int:
    return int(every) * 1000 if every != "off" else 60_000


@callback(
    Output(RefreshControls.ids.interval(MATCH), "interval"),
    Output(RefreshControls.ids.interval(MATCH), "disabled"),
    Input(RefreshControls.ids.every(MATCH), "value"),
)
def _set_interval(every: str) -> tuple[int, bool]:
    return _milliseconds(every or "off"), (every or "off") == "off"
