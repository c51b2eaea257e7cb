"""The Dash application: one per process, its pages imported once it exists."""

from __future__ import annotations

import functools
import importlib
import logging
from pathlib import Path

import dash
import flask
import plotly.io
from dash import dcc, html
from django.conf import settings
from django.db import connections

from kuro.dashboard.index_page import KuroDash, page_container
from kuro.dashboard.mount import PREFIX, install_json_errors

__all__ = ["PAGES", "create_app"]

PAGES = ("compare", "trial", "workers", "sweeps")
_ASSETS = Path(__file__).with_name("assets")
_log = logging.getLogger("kuro.dashboard")


def _on_error(error: Exception) -> None:
    """A callback failed unexpectedly: log it, and say so in the page's banner."""
    _log.error("dashboard callback failed", exc_info=error)
    dash.set_props(
        "kuro-error-banner",
        {
            "children": f"Something went wrong on the server ({type(error).__name__}); "
            "the details are in its log. Reload the page to try again.",
            "className": "kuro-error kuro-banner",
        },
    )


def _shell() -> html.Div:
    nav = [
        dcc.Link("Compare", href=f"{PREFIX}", className="kuro-nav-link"),
        dcc.Link("Workers", href=f"{PREFIX}workers", className="kuro-nav-link"),
        dcc.Link("Sweeps", href=f"{PREFIX}sweeps", className="kuro-nav-link"),
        html.A("API", href="/api/v1/docs", className="kuro-nav-link"),
    ]
    if settings.KURO_AUTH:
        nav.append(html.A("Sign out", href="/accounts/logout/", className="kuro-nav-link"))
    header = html.Header(
        html.Div(
            [
                dcc.Link(
                    [html.Span("K", className="kuro-logo-mark"), html.Span("Kuro")],
                    href=PREFIX,
                    className="kuro-logo",
                ),
                html.Span("experiment dashboard", className="kuro-tagline"),
                html.Nav(nav, className="kuro-nav"),
            ],
            className="kuro-header-inner",
        ),
        className="kuro-header",
    )
    banner = html.Div(id="kuro-error-banner", role="alert")
    # The index page sets the address it is built for (index_page.KuroDash.index).
    address = flask.g.get("kuro_address") if flask.has_app_context() else None
    return html.Div(
        [
            header,
            html.Main([banner, page_container(address)], className="kuro-main"),
        ]
    )


@functools.cache
def create_app() -> dash.Dash:
    """The dashboard's Dash app (created once per process; Dash pages are process-global)."""
    # Dash serializes figures with Plotly's encoder; with orjson installed Plotly first walks
    # every number in Python, five times slower than the standard encoder on our figures
    # (their NaN are already None).
    plotly.io.json.config.default_engine = "json"
    app = KuroDash(
        __name__,
        url_base_pathname=PREFIX,
        use_pages=True,
        pages_folder="",
        assets_folder=str(_ASSETS),
        # assets/plotly/ holds Kuro's partial plotly.js bundle: served, but not a <script> of
        # every page; assets/plotly_early.js starts it (and says how dcc.Graph picks it up).
        # assets/vendor/ holds scripts that take the place of Dash's own (index_page).
        assets_path_ignore=["^plotly$", "^vendor$"],
        title="Kuro",
        # Callbacks send Django's CSRF cookie back as X-CSRFToken: edits check it
        # (kuro.dashboard.writes).
        csrf_token_name=settings.CSRF_COOKIE_NAME,
        update_title=None,  # type: ignore[arg-type]  # Dash documents None: no "Updating…"
        # Dash turns async on when asgiref is importable (Django brings it); Django's ORM
        # refuses to run inside an event loop, and gunicorn's threads serve us well.
        use_async=False,
        on_error=_on_error,
    )
    for name in PAGES:
        importlib.import_module(f"kuro.dashboard.pages.{name}")
    app.layout = _shell
    # Errors answer in Kuro's JSON format (Flask only takes handlers before its first request).
    install_json_errors(app)
    # Dash learns which component bundles it may serve while rendering its index page, per
    # process: render it once here, so a gunicorn worker that has not served the page yet
    # can still serve the bundles the page asks for. Dash also builds every page's layout
    # once then (to validate callbacks), and the compare page's layout reads the database:
    # close that connection, so no forked worker inherits it (but not one inside a
    # transaction, as a test's is: closing it there would end the test's database).
    app.server.test_client().get(PREFIX)
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
    return app
