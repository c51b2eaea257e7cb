"""The Kuro dashboard: a Plotly Dash app, served by ``kuro server`` under ``/dashboard/``.

- ``app``: the Dash application and its shell (header, navigation, page container).
- ``pages/``: one module per page (compare, trial, workers), callbacks beside their layout.
- ``components/``: reusable All-in-One widgets.
- ``aggregation``, ``figures/``, ``tables``, ``export``: pure functions, no Dash state.

Data is read only through ``kuro.server.tracking.selectors``.
"""

from kuro.dashboard.app import create_app

__all__ = ["create_app"]
