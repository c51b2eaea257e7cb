"""The dashboard mounted beside Django in one WSGI application, on one port.

Dash is a Flask application; ``kuro server`` runs Django under gunicorn. A small dispatcher
sends ``/dashboard/...`` (pages, ``_dash-*`` routes, component suites, assets) to Dash and
everything else to Django. Dash callbacks use Django's ORM through the selectors, so each
dashboard request opens and closes database connections the way a Django request does.

With auth on (``settings.KURO_AUTH``) the dashboard asks what the API asks: a logged-in
session (the login page's cookie) or a bearer token. A page without one is sent to the
login page; Dash's own requests get 401.

Every error the dashboard answers is Kuro's JSON error body, never Flask's HTML page: a
forged callback request is a 400, an unknown component bundle a 404, a database that is
restarting a 503 with ``Retry-After``, anything else a 500 whose details are in the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user
from django.core.handlers.wsgi import WSGIRequest
from django.db import close_old_connections

from kuro.core.errors import AuthError, InvalidInput, KuroError, NotFound, ServerError
from kuro.server.errors import error_for_status, retry_later, status_of

__all__ = ["PREFIX", "DashboardDispatcher", "group_href", "install_json_errors", "mount_dashboard"]

PREFIX = "/dashboard/"

logger = logging.getLogger("kuro.dashboard")

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


# What Dash raises while reading a callback request it was not built to read (a forged or
# truncated body): the request's fault. Callbacks' own failures go to the app's on_error.
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, LookupError)


def install_json_errors(app: Any) -> None:
    """Answer every error of the Dash app (a Flask app underneath) in Kuro's JSON format,
    and refuse a malformed callback request before Dash reads it."""
    from dash.exceptions import DashException, DependencyException
    from flask import request
    from werkzeug.exceptions import HTTPException

    server = app.server

    def answer(error: KuroError, status: int | None = None) -> Any:
        response = server.response_class(
            json.dumps(error.to_payload()),
            status=status or status_of(error),
            mimetype="application/json",
        )
        if status_of(error) == 503:
            response.headers["Retry-After"] = "1"
        return response

    @server.before_request
    def _check_callback_request() -> Any:
        if request.method == "POST" and request.path.endswith("/_dash-update-component"):
            problem = _callback_problem(request.get_json(silent=True), app.callback_map)
            if problem is not None:
                return answer(InvalidInput(f"malformed callback request: {problem}", field="body"))
        return None

    @server.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        return answer(error_for_status(status, exc.description or exc.name), status)

    @server.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        busy = retry_later(exc)
        if busy is not None:
            logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
            return answer(busy)
        if isinstance(exc, DependencyException):
            return answer(NotFound(f"no component bundle at {request.path}"))
        if request.path.endswith("/_dash-update-component") and isinstance(
            exc, (*_MALFORMED, DashException)
        ):
            # Dash checks the request's inputs and outputs against the callback's definition
            # (and raises its own exceptions) only as it runs it: logged, in case it is ours.
            logger.warning("malformed callback request: %s: %s", type(exc).__name__, exc)
            return answer(InvalidInput("malformed callback request", field="body"))
        logger.error("dashboard request failed: %s %s", request.method, request.path, exc_info=exc)
        return answer(ServerError("the dashboard failed; the error is in the server's log"))


def _callback_problem(body: Any, callback_map: dict[str, Any]) -> str | None:
    """What is wrong with a ``_dash-update-component`` body, or None if Dash can read it."""
    if not isinstance(body, dict):
        return "the body is a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "output names no callback of this dashboard"
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, (dict, list)) for i in items):
            return f"{key} is a list of component properties"
        for item in items:
            for prop in item if isinstance(item, list) else [item]:
                if not isinstance(prop, dict) or "id" not in prop or "property" not in prop:
                    return f"{key} is a list of component properties"
    if not isinstance(body.get("changedPropIds", []), list):
        return "changedPropIds is a list"
    return None
