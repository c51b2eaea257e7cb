"""The dashboard mounted beside Django in one WSGI application, on one port.

Dash is a Flask application; ``kuro server`` runs Django under gunicorn. A small dispatcher
sends ``/dashboard/...`` (pages, ``_dash-*`` routes, component suites, assets) to Dash and
everything else to Django. Dash callbacks use Django's ORM through the selectors, so each
dashboard request opens and closes database connections the way a Django request does.

With auth on (``settings.KURO_AUTH``) the dashboard asks what the API asks: a logged-in
session (the login page's cookie) or a bearer token. A page without one is sent to the
login page; Dash's own requests get 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections

from kuro.core.errors import AuthError

__all__ = ["PREFIX", "DashboardDispatcher", "group_href", "mount_dashboard"]

PREFIX = "/dashboard/"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def group_href(group: str) -> str:
    """The compare page of a group (any name: the query is encoded)."""
    return f"{PREFIX}?{urlencode({'group': group})}"


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
            refusal = _refusal(environ) if settings.KURO_AUTH else None
            if refusal is not None:
                return refusal(start_response)
            return self.dash_app(environ, start_response)
        finally:
            close_old_connections()


def _refusal(environ: dict[str, Any]) -> Callable[[Callable[..., Any]], list[bytes]] | None:
    """None when the request may see the dashboard, else the answer that refuses it."""
    from kuro.server.accounts.auth import authenticate

    request = WSGIRequest(environ)  # reads headers and cookies only, never the body
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    request.user = get_user(request)
    try:
        authenticate(request)
    except AuthError as error:
        path = environ.get("PATH_INFO", "")
        if "/_dash-" in path or request.method != "GET":
            body = json.dumps(error.to_payload())
            return _answer("401 Unauthorized", [("Content-Type", "application/json")], body)
        query = environ.get("QUERY_STRING", "")
        target = quote(path + (f"?{query}" if query else ""), safe="/")
        return _answer("302 Found", [("Location", f"{settings.LOGIN_URL}?next={target}")], "")
    return None


def _answer(
    status: str, headers: list[tuple[str, str]], body: str
) -> Callable[[Callable[..., Any]], list[bytes]]:
    data = body.encode()

    def respond(start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [*headers, ("Content-Length", str(len(data)))])
        return [data]

    return respond


def mount_dashboard(django_app: WSGIApp) -> DashboardDispatcher:
    """Django's WSGI application with the Dash dashboard beside it."""
    from kuro.dashboard.app import create_app

    return DashboardDispatcher(django_app, create_app().server)
