"""All-in-One widgets: ids, the refresh interval, grid sizing."""

from __future__ import annotations

from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.components.refresh import RefreshControls, interval_of


def test_part_ids_match_per_instance():
    """Each part's id names its component, part and instance (for MATCH callbacks)."""
    assert RefreshControls.ids.interval("compare-refresh") == {
        "component": "RefreshControls",
        "subcomponent": "interval",
        "aio_id": "compare-refresh",
    }
    assert FilterGrid.ids.grid("a") != FilterGrid.ids.search("a")


def test_auto_refresh_choices():
    """Off disables the interval; 60 s and 5 min set it in milliseconds."""
    assert interval_of("off")[1] is True
    assert interval_of("60") == (60_000, False)
    assert interval_of("300") == (300_000, False)


def test_grid_fits_short_tables_and_caps_long_ones():
    """A short table is as tall as its rows; a long one stops at the maximum."""
    assert FilterGrid.fit(3) == {"height": f"{49 + 3 * 42 + 4}px", "width": "100%"}
    assert FilterGrid.fit(500, max_height=400)["height"] == "400px"
    assert FilterGrid.fit(0)["height"] == FilterGrid.fit(2)["height"]


def test_filter_grid_selection_column_is_pinned():
    """A selectable grid selects many rows with checkboxes pinned at the left."""
    grid = FilterGrid("t", selectable=True).children[1]
    options = grid.dashGridOptions
    assert options["rowSelection"]["mode"] == "multiRow"
    assert options["selectionColumnDef"]["pinned"] == "left"
    assert grid.getRowId == "params.data.key"


def test_grid_headers_name_themselves_in_tooltips():
    """A header cut at its two lines still shows its full name, in its tooltip; a header
    with a tooltip of its own keeps it, and groups' children get theirs."""
    columns = FilterGrid.titled(
        [
            {"field": "m0", "headerName": "validation_accuracy_top5 best ↑"},
            {"headerName": "Hyper-parameters", "children": [{"field": "learning_rate"}]},
            {"field": "p", "headerName": "p", "headerTooltip": "Welch's t-test"},
        ]
    )
    assert columns[0]["headerTooltip"] == "validation_accuracy_top5 best ↑"
    assert columns[1]["headerTooltip"] == "Hyper-parameters"
    assert columns[1]["children"][0]["headerTooltip"] == "learning_rate"
    assert columns[2]["headerTooltip"] == "Welch's t-test"
