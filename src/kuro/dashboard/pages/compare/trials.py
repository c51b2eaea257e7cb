"""The compare page's trials grid: each trial of the selection (the group when none) with
its best value per metric and a link to its page, built after the page's first view
(``FilterGrid.lazy``: once the page's charts are drawn, or when scrolled to): it sits far below the
fold, and building it (AG Grid's own code, in the browser) took a third of the grids' share
of the first view."""

from __future__ import annotations

from typing import Any

from kuro.core.labels import experiment_labels
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.mount import PREFIX
from kuro.dashboard.pages.compare.group import GROUP_FIELDS, in_scope, selected_ids
from kuro.dashboard.pages.compare.provenance import tagged_trials, with_trial_columns
from kuro.dashboard.stores import from_store
from kuro.dashboard.tables import trial_table

__all__ = ["GRID", "trial_grid"]

GRID = "compare-trials"


def trial_grid(selected: Any, stored: dict[str, Any] | None, tag: str | None = None) -> dict:
    """The grid's ``rowData``, ``columnDefs`` and ``style``: the trials of the selection (the
    group when none), only those with ``tag`` when one is chosen."""
    if not stored:
        return FilterGrid.content()
    data = from_store(stored, GROUP_FIELDS)
    experiments = in_scope(data, selected_ids(selected))
    labels = experiment_labels(data["experiments"])
    tagged = tagged_trials(experiments, tag)
    rows, columns = trial_table(tagged, data["metrics"], labels, f"{PREFIX}trial/")
    with_trial_columns(rows, columns, tagged)
    return FilterGrid.content(rows, columns, max_height=420)


FilterGrid.build_when_seen(
    GRID,
    trial_grid,
    [
        (FilterGrid.ids.grid("compare-experiments"), "selectedRows"),
        ("compare-group", "data"),
        ("compare-tag-filter", "value"),
    ],
    height=300,
    placeholder="Filter trials…",
)
