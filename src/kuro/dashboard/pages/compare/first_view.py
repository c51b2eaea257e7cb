"""The compare page's first view: what the callbacks would draw for the address's state,
computed on the server while the layout is built (no callback round trip)."""

from __future__ import annotations

from typing import Any

from dash import no_update
from django.db import DatabaseError

from kuro.dashboard.components.cards import error_state
from kuro.dashboard.pages.compare.curves import show_curves
from kuro.dashboard.pages.compare.group import load_comparison, load_group, show_experiments
from kuro.dashboard.pages.compare.winner import SELECTION_VIEWS, show_selection

__all__ = ["first_view"]


def first_view(state: dict[str, Any]) -> dict[str, Any]:
    """What the callbacks would draw for ``state``, computed while the layout is built."""
    try:
        stored, status, message, groups, group, body_class = load_group(state["group"], 0, 0)
    except DatabaseError as error:  # e.g. tables not created yet: say so, do not crash
        stored, status, message = None, "", error_state(f"The database is not ready: {error}")
        groups, group, body_class = [], state["group"], "kuro-hidden"
    (
        experiment_rows,
        experiment_columns,
        experiment_style,
        selection,
        metrics,
        _,
        metric,
        keys,
    ) = show_experiments(stored, state["metric"], state["selected"], None)
    selected_rows = selection if selection is not no_update else []
    comparison, _ = load_comparison(stored, state["statistic"], state["step"])
    metric_views = show_selection(selected_rows, stored, comparison, None, state["by"])
    curves, curves_scope = show_curves(
        selected_rows,
        stored,
        comparison,
        metric,
        state["by"],
        state["trials"],
        state["band"],
        state["smoothing"],
        ["log"] if state["log"] else [],
        state["x"],
    )
    return {
        "stored": stored,
        "status": status,
        "message": message,
        "groups": groups,
        "group": group,
        "body_class": body_class,
        "experiment_rows": experiment_rows,
        "experiment_columns": experiment_columns,
        "experiment_style": experiment_style,
        "selected_rows": selected_rows,
        "metrics": metrics,
        "metric": metric,
        "keys": keys,
        "comparison": comparison,
        **dict(zip(SELECTION_VIEWS, metric_views, strict=True)),
        "curves": curves,
        "curves_scope": curves_scope,
    }
