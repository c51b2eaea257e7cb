"""The Kuro dashboard: a Plotly Dash app, served by ``kuro server`` under ``/dashboard/``.

- ``app``: the Dash application and its shell (header, navigation, page container);
  ``mount``: how ``kuro server`` serves it (the auth rule, Django's session).
- ``pages/``: one module per page (compare, trial, workers, sweeps), callbacks beside their
  layout.
- ``components/``: reusable widgets (grid, chart, curves, cards, refresh).
- ``aggregation``, ``comparison`` (settings pooled and tested against the leader),
  ``figures/``, ``tables``, ``sweep_tables``, ``formats``, ``export``, ``address`` (the
  compare page's state in its URL), ``stores`` (floats in Dash stores): pure functions, no
  Dash state.

Data is read only through the server's selectors (``kuro.server.tracking.selectors``,
``kuro.server.queue.selectors``), as domain values (floats, NaN as NaN); shared rules come
from ``kuro.core``.
"""

from kuro.dashboard.app import create_app

__all__ = ["create_app"]
