"""The compare page (``/dashboard/``, formerly ``/dash-index``): pick a group, select
experiments, see which setting wins, by how much, and how noisy its trials are.

Data flow: ``compare-group`` (a store) holds ``selectors.group_experiments`` of the group,
reloaded by the group picker, the update button and auto-refresh. Everything else derives
from it and from the experiment grid's selection; the curves read ``metric_history``
(downsampled on the server) for the selected experiments' trials only.

This module registers the page and lays it out; its callbacks sit beside the views they
serve: ``controls`` (toolbar, curve controls, guide), ``group`` (the stores and the
experiment grid), ``winner`` (verdicts, forest charts, aggregates, JSON), ``trials`` (the
trials grid), ``curves``, ``parallel``, ``address`` (the state in the URL), ``downloads``;
``first_view`` draws the first view on the server. Below the fold, the aggregates and
trials grids are built after the first view, the parallel coordinates and the JSON preview
once seen.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

from kuro.dashboard.address import compare_state
from kuro.dashboard.components.cards import section
from kuro.dashboard.components.grid import FilterGrid
from kuro.dashboard.pages.compare.address import write_address
from kuro.dashboard.pages.compare.controls import (
    curve_controls,
    guide,
    show_band_choice,
    toolbar,
)
from kuro.dashboard.pages.compare.curves import (
    DEFAULT_CURVES,
    MAX_CURVE_EXPERIMENTS,
    show_curves,
)
from kuro.dashboard.pages.compare.downloads import download
from kuro.dashboard.pages.compare.first_view import first_view
from kuro.dashboard.pages.compare.group import (
    GROUP_FIELDS,
    load_comparison,
    load_group,
    show_experiments,
)
from kuro.dashboard.pages.compare.parallel import parallel_panel, show_parallel
from kuro.dashboard.pages.compare.provenance import provenance_view, show_provenance, tag_options
from kuro.dashboard.pages.compare.trials import trial_grid
from kuro.dashboard.pages.compare.winner import (
    AGGREGATES,
    aggregate_grid,
    json_preview,
    show_json,
    show_selection,
)

# The callbacks are named here too: tests and benchmarks call them as the page's.
__all__ = [
    "DEFAULT_CURVES",
    "GROUP_FIELDS",
    "MAX_CURVE_EXPERIMENTS",
    "aggregate_grid",
    "download",
    "layout",
    "load_comparison",
    "load_group",
    "show_band_choice",
    "show_curves",
    "show_experiments",
    "show_json",
    "show_parallel",
    "show_provenance",
    "show_selection",
    "trial_grid",
    "write_address",
]


def layout(**url_params: Any) -> html.Div:
    """The page, in the state its address names (``address.compare_state``), drawn on the
    server: its first view costs no callback round trip (the callbacks only redraw it)."""
    state = compare_state(url_params)
    view = first_view(state)
    downloads = html.Div(
        [
            html.Button("⤓ JSON", id="compare-download-json-button", className="kuro-button"),
            html.Button("⤓ CSV", id="compare-download-csv-button", className="kuro-button"),
            html.Button(
                "⤓ Comparison CSV",
                id="compare-download-comparison-button",
                className="kuro-button",
                title="The aggregates table: each setting per metric, by the chosen statistic",
            ),
            dcc.Download(id="compare-download"),
        ],
        className="kuro-downloads",
    )
    return html.Div(
        [
            dcc.Location(id="compare-url", refresh=False),
            dcc.Store(id="compare-initial-selection", data=state["selected"]),
            html.Div(
                [
                    html.H1("Compare experiments"),
                    html.P(
                        "Which hyper-parameter setting is best, by how much, and whether its "
                        "lead is more than noise.",
                        className="kuro-subtitle",
                    ),
                ],
                className="kuro-page-head",
            ),
            toolbar(state, view),
            html.Details(
                [html.Summary("How to read this page"), *guide()],
                className="kuro-guide",
            ),
            dcc.Store(id="compare-group", data=view["stored"]),
            dcc.Store(id="compare-comparison", data=view["comparison"]),
            dcc.Loading(
                html.Div(view["message"], id="compare-message"), type="dot", delay_show=300
            ),
            html.Div(
                [
                    html.Div(provenance_view(view["stored"]), id="compare-provenance"),
                    section(
                        "Experiments",
                        FilterGrid(
                            "compare-experiments",
                            selectable=True,
                            height=330,
                            placeholder="Filter experiments…",
                            tools=html.Span(
                                view["selection"], id="compare-selection", className="kuro-muted"
                            ),
                            rowData=view["experiment_rows"],
                            columnDefs=view["experiment_columns"],
                            style=view["experiment_style"],
                            selectedRows=view["selected_rows"],
                        ),
                        subtitle="Select rows to compare. Hyper-parameter columns show the keys "
                        "that differ within an identifier.",
                        tools=dcc.Dropdown(
                            id="compare-tag-filter",
                            options=tag_options(view["stored"]),
                            placeholder="Filter by tag",
                            className="kuro-tag-filter",
                        ),
                    ),
                    section(
                        "Which setting wins",
                        [
                            dcc.Loading(html.Div(view["bars"], id="compare-bars")),
                            html.H3("Aggregates over trials", className="kuro-h3"),
                            FilterGrid.lazy(AGGREGATES),
                        ],
                        id="compare-wins",
                        subtitle=html.Span(view["scope"], id="compare-scope"),
                        tools=dcc.Dropdown(
                            id="compare-metric-filter",
                            options=view["metrics"],
                            multi=True,
                            placeholder="All metrics",
                            className="kuro-metric-filter",
                        ),
                    ),
                    section(
                        "Curves",
                        [
                            curve_controls(state),
                            dcc.Loading(
                                html.Div(view["curves"], id="compare-curves"), delay_show=200
                            ),
                        ],
                        subtitle=html.Span(view["curves_scope"], id="compare-curves-scope"),
                    ),
                    section(
                        "Trials",
                        FilterGrid.lazy("compare-trials"),
                        subtitle="Each trial's best value per metric; open a trial for its detail.",
                    ),
                    section(
                        "Hyper-parameters against the outcome",
                        parallel_panel(),
                        subtitle="Each line is a trial of the group, coloured by the metric "
                        "chosen above; drag along an axis to filter.",
                    ),
                    section(
                        "Raw data",
                        json_preview(),
                        subtitle=[
                            "Downloads hold every point, in the kuro.export/1 schema (CSV: one "
                            "row per point); the comparison CSV is the aggregates table. From a "
                            "script: ",
                            html.Code("GET /api/v1/export?group=…"),
                            " or ",
                            html.Code("kuro compare"),
                            ".",
                        ],
                        tools=downloads,
                    ),
                ],
                id="compare-body",
                className=view["body_class"],
            ),
        ],
        className="kuro-page",
    )


dash.register_page(__name__, path="/", name="Compare", title="Kuro · compare", layout=layout)
