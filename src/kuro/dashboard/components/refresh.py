"""``RefreshControls``: an update button and auto-refresh every 60 s or 5 min (or off)."""

from __future__ import annotations

from dash import MATCH, Input, Output, clientside_callback, dcc, html

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
        interval, disabled = interval_of(every)
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
                    interval=interval,
                    disabled=disabled,
                    n_intervals=0,
                ),
            ],
            className="kuro-refresh",
        )


def _milliseconds(every: str) -> int:
    return int(every) * 1000 if every != "off" else 60_000


def interval_of(every: str | None) -> tuple[int, bool]:
    """The interval's ``(interval, disabled)`` for a choice of the radio: what the layout
    draws, and what the browser sets when the choice changes (``_SET_INTERVAL``)."""
    return _milliseconds(every or "off"), (every or "off") == "off"


# ``interval_of`` in the browser: the radio's value may come from the browser's storage
# (``persistence``), so this runs on load too, without a round trip to the server.
_SET_INTERVAL = """function (every) {
    every = every || "off";
    return [every === "off" ? 60000 : Number(every) * 1000, every === "off"];
}"""

clientside_callback(
    _SET_INTERVAL,
    Output(RefreshControls.ids.interval(MATCH), "interval"),
    Output(RefreshControls.ids.interval(MATCH), "disabled"),
    Input(RefreshControls.ids.every(MATCH), "value"),
)
