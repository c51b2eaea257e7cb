"""Parts of a page drawn after its first view. ``assets/lazy_charts.js`` sets a store's
``data`` to true once the element that carries ``when_seen``'s attributes comes near the
viewport (with ``after_charts``, also as soon as every chart of the page is drawn); a callback
with the store among its inputs then draws the part."""

from __future__ import annotations

from typing import Any

from dash import dcc

__all__ = ["when_seen"]


def when_seen(store_id: str, *, after_charts: bool = False) -> tuple[dcc.Store, dict[str, Any]]:
    """The store that says the part was seen (false until then) and the attributes of the
    element whose place is watched."""
    attributes: dict[str, Any] = {"data-kuro-lazy": store_id}
    if after_charts:
        attributes["data-kuro-after-charts"] = ""
    return dcc.Store(id=store_id, data=False), attributes
