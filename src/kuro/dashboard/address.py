"""The compare page's state in its address, so a view can be bookmarked and shared.

``?group=g&metric=val_acc&statistic=step&step=500&by=lr&selected=3,5&trials=all&band=minmax
&x=time&smoothing=0.6&log=1``: every key is optional, a missing or unreadable one takes its
default, and defaults are left out of the address the page writes.

>>> state = compare_state({"group": "g", "selected": "5,x,3", "statistic": "nope"})
>>> state["group"], state["selected"], state["statistic"]
('g', [5, 3], 'best')
>>> compare_search({**state, "by": "lr"})
'?group=g&by=lr&selected=5%2C3'
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from kuro.dashboard.comparison import STATISTICS
from kuro.dashboard.figures.curves import AGGREGATIONS, BANDS, X_AXES

__all__ = ["DEFAULTS", "compare_search", "compare_state"]

DEFAULTS: dict[str, Any] = {
    "group": None,
    "metric": None,
    "statistic": "best",
    "step": None,
    "by": None,
    "selected": [],
    "trials": "mean",
    "band": "std",
    "x": "step",
    "smoothing": 0.0,
    "log": False,
}
_CHOICES = {"statistic": STATISTICS, "trials": AGGREGATIONS, "band": BANDS, "x": X_AXES}


def _int(text: Any) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None


def compare_state(params: Mapping[str, Any]) -> dict[str, Any]:
    """The page's state from the query parameters Dash Pages passes to ``layout``."""
    state = dict(DEFAULTS)
    for key in ("group", "metric", "by"):
        if params.get(key):
            state[key] = str(params[key])
    for key, choices in _CHOICES.items():
        if params.get(key) in choices:
            state[key] = params[key]
    state["step"] = _int(params.get("step")) if params.get("step") not in (None, "") else None
    selected = str(params.get("selected") or "").split(",")
    state["selected"] = [i for i in map(_int, selected) if i is not None]
    with contextlib.suppress(ValueError):
        state["smoothing"] = min(max(float(params.get("smoothing") or 0.0), 0.0), 0.99)
    state["log"] = str(params.get("log") or "") in ("1", "true", "log")
    return state


def compare_search(state: Mapping[str, Any]) -> str:
    """The query string of ``state``: what differs from the defaults, in a fixed order."""
    query: dict[str, str] = {}
    for key, default in DEFAULTS.items():
        value = state.get(key, default)
        if value in (None, "", []) or value == default:
            continue
        if key == "selected":
            query[key] = ",".join(str(i) for i in value)
        elif key == "log":
            query[key] = "1"
        else:
            query[key] = str(value)
    return "?" + urlencode(query) if query else ""
