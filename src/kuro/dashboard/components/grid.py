"""``FilterGrid``: an AG Grid with a quick-filter box, sortable and filterable columns; built
at once, or once scrolled into view (``FilterGrid.lazy``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import dash_ag_grid as dag
from dash import MATCH, Input, Output, Patch, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from kuro.dashboard.components.ids import part_id
from kuro.dashboard.components.lazy import when_seen

_FILLED = ("rowData", "columnDefs", "style")  # what ``FilterGrid.content`` makes

__all__ = ["FilterGrid"]


class FilterGrid(html.Div):
    """All-in-One: a search box over an AG Grid. The page owns the grid's data:
    ``FilterGrid.ids.grid(aio_id)`` is the ``dag.AgGrid`` (``rowData``, ``columnDefs``,
    ``selectedRows``...), which a layout may also pass in to draw its first state without a
    callback. Rows carry a string ``key``, the grid's row id, so a refresh
    keeps the selection."""

    class ids:
        grid = staticmethod(part_id("FilterGrid", "grid"))
        search = staticmethod(part_id("FilterGrid", "search"))
        # Beside a lazy grid: a digest of what it was built from (``build_when_seen``).
        built = staticmethod(part_id("FilterGrid", "built"))

    @staticmethod
    def lazy(aio_id: str) -> html.Div:
        """The place of a grid built after the page's first view, as soon as the page's charts
        are drawn or the place is scrolled into view (``assets/lazy_charts.js`` sets the store
        ``FilterGrid.seen(aio_id)``): a note until then. ``FilterGrid.build_when_seen``
        registers what builds it there."""
        waiting = html.P("Drawn in a moment.", className="kuro-muted")
        seen, attributes = when_seen(FilterGrid.seen(aio_id), after_charts=True)
        return html.Div([seen, html.Div(waiting, id=FilterGrid.place(aio_id), **attributes)])

    @staticmethod
    def seen(aio_id: str) -> str:
        return f"{aio_id}-seen"

    @staticmethod
    def place(aio_id: str) -> str:
        return f"{aio_id}-place"

    @staticmethod
    def build_when_seen(
        aio_id: str,
        content: Callable[..., dict[str, Any]],
        sources: Sequence[tuple[Any, str]],
        **options: Any,
    ) -> None:
        """Register the callbacks of the lazy grid ``aio_id``: one builds it in its place once
        seen (``FilterGrid(aio_id, **options)``) with its rows, headers and style,
        ``content(*values)`` (a ``FilterGrid.content``) of the ``sources`` ((component id,
        prop) pairs), in one round trip; the other sets them again whenever the sources
        change, never while the grid is not there (the grid's sort, filter and scroll stay).
        Dash also calls the second when the grid appears, with the values as they are then:
        a choice made while the grid was being built is not lost, and when none was, that
        call changes nothing (the grid is not drawn again)."""

        @callback(
            Output(FilterGrid.place(aio_id), "children"),
            Input(FilterGrid.seen(aio_id), "data"),
            *(State(component, prop) for component, prop in sources),
            prevent_initial_call=True,
        )
        def build(seen: bool, *values: Any) -> Any:
            if not seen:
                return no_update
            grid = FilterGrid(aio_id, **options, **content(*values))
            return [grid, dcc.Store(id=FilterGrid.ids.built(aio_id), data=_digest(values))]

        @callback(
            *(Output(FilterGrid.ids.grid(aio_id), prop) for prop in _FILLED),
            *(Input(component, prop) for component, prop in sources),
            State(FilterGrid.ids.built(aio_id), "data"),
        )
        def fill(*values_and_built: Any) -> tuple[Any, ...]:
            *values, built = values_and_built
            if ctx.triggered_id is None and built == _digest(values):
                raise PreventUpdate  # the grid appeared as it was built: nothing changed since
            filled = content(*values)
            return tuple(filled[prop] for prop in _FILLED)

    @staticmethod
    def titled(columns: Sequence[Any]) -> list[dict[str, Any]]:
        """``columns`` (``columnDefs``) with each header's full name as its tooltip where it
        has none: a header too long for its two lines is cut, the tooltip shows it whole."""
        out = []
        for column in columns:
            column = dict(column)
            if "children" in column:
                column["children"] = FilterGrid.titled(column["children"])
            name = column.get("headerName", column.get("field"))
            if name and "headerTooltip" not in column:
                column["headerTooltip"] = name
            out.append(column)
        return out

    @staticmethod
    def fit(n_rows: int, *, header_rows: int = 1, max_height: int = 360) -> dict[str, str]:
        """A grid ``style`` just tall enough for ``n_rows`` (up to ``max_height``), so a short
        table leaves no blank block; the theme's rows are 42 px, its header rows 49 px."""
        height = header_rows * 49 + max(n_rows, 2) * 42 + 4
        return {"height": f"{min(height, max_height)}px", "width": "100%"}

    @staticmethod
    def content(
        rows: list[dict[str, Any]] | None = None,
        columns: Sequence[Any] = (),
        *,
        max_height: int = 360,
    ) -> dict[str, Any]:
        """A grid's ``rowData``, ``columnDefs`` (headers with tooltips) and fitted ``style``."""
        rows = rows or []
        return {
            "rowData": rows,
            "columnDefs": FilterGrid.titled(columns),
            "style": FilterGrid.fit(len(rows), max_height=max_height),
        }

    def __init__(
        self,
        aio_id: str,
        *,
        placeholder: str = "Filter rows…",
        height: int | None = 320,
        selectable: bool = False,
        tools: Any = None,
        **grid_props: Any,
    ) -> None:
        options: dict[str, Any] = {
            "animateRows": False,
            # Rows drawn beyond those in view: AG Grid's default, 10, about doubled the rows
            # (and their cells) a grid of 300-440 px lays out when it appears, for a smoother
            # fast scroll; the compare page's three grids were drawn 0.1 s sooner with 2.
            "rowBuffer": 2,
            "tooltipShowDelay": 300,
            "suppressCellFocus": not selectable,
            "enableCellTextSelection": True,
            **grid_props.pop("dashGridOptions", {}),
        }
        if height is None:
            options["domLayout"] = "autoHeight"
        if selectable:
            options["rowSelection"] = {
                "mode": "multiRow",
                "checkboxes": True,
                "headerCheckbox": True,
                "selectAll": "filtered",
                "enableClickSelection": True,
            }
            options["selectionColumnDef"] = {"pinned": "left", "width": 48, "maxWidth": 48}
        grid = dag.AgGrid(
            id=self.ids.grid(aio_id),
            rowData=grid_props.pop("rowData", []),
            columnDefs=self.titled(grid_props.pop("columnDefs", [])),
            defaultColDef={
                "sortable": True,
                "filter": True,
                "resizable": True,
                "floatingFilter": False,
                "minWidth": 80,
                # Long headers ("P(leader better)", metric names) wrap on two lines in a
                # header of fixed height (measuring each header's height cost the first
                # view about 0.4 s of the browser's time); a longer one is cut, its full
                # name in the header's tooltip (``titled``).
                "wrapHeaderText": True,
            },
            columnSize="responsiveSizeToFit",
            getRowId="params.data.key",
            dashGridOptions=options,
            # No height: the grid grows with its rows (short lists such as workers).
            style=grid_props.pop("style", None)
            or ({"height": f"{height}px", "width": "100%"} if height else {"width": "100%"}),
            **grid_props,
        )
        bar = html.Div(
            [
                dcc.Input(
                    id=self.ids.search(aio_id),
                    type="search",
                    placeholder=placeholder,
                    debounce=0.25,
                    className="kuro-search",
                ),
                html.Div(tools, className="kuro-grid-tools"),
            ],
            className="kuro-grid-bar",
        )
        super().__init__([bar, grid], className="kuro-filter-grid")


@callback(
    Output(FilterGrid.ids.grid(MATCH), "dashGridOptions"),
    Input(FilterGrid.ids.search(MATCH), "value"),
    prevent_initial_call=True,
)
def _quick_filter(text: str | None) -> Patch:
    options = Patch()
    options["quickFilterText"] = text or ""
    return options


def _digest(values: Sequence[Any]) -> str:
    """A digest of callback values (JSON, as Dash passes them)."""
    text = json.dumps(list(values), separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
