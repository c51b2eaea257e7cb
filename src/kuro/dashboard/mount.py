"""The dashboard mounted beside Django in one WSGI application, on one port.

Dash is a Flask application; ``kuro server`` runs Django under gunicorn. A small dispatcher
sends ``/dashboard/...`` (pages, ``_dash-*`` routes, component suites, assets) to Dash and
everything else to Django. Dash callbacks use Django's ORM through the selectors, so each
dashboard request opens and closes database connections the way a Django request does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections

__all__ = ["PREFIX", "DashboardDispatcher", "mount_dashboard"]

PREFIX = "/dashboard/"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DashboardDispatcher:
    """A WSGI application: the dashboard under ``PREFIX``, Django for the rest."""

    def __init__(self, django_app: WSGIApp, dash_app: WSGIApp) -> None:
        self.django_app = django_app
        self.dash_app = dash_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if not (path.startswith(PREFIX) or path == PREFIX.rstrip("/")):
            return self.django_app(environ, start_response)
        # What Django's request_started/request_finished signals do for its own requests.
        close_old_connections()
        try:
            return self.dash_app(environ, start_response)
        finally:
            close_old_connections()


def mount_dashboard(django_app: WSGIApp) -> DashboardDispatcher:
    """Django's WSGI application with the Dash dashboard beside it."""
    from kuro.dashboard.app import create_app

    return DashboardDispatcher(django_app, create_app().server)
