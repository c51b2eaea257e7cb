"""Who may write from the dashboard, and the check each writing callback makes first.

Reading the dashboard needs what the mount asks (``kuro.dashboard.mount``): with auth on,
a signed-in session or a token. Writing (tags, notes) needs more:

- a signed-in person (a session), and a request that proves it comes from a dashboard page:
  Django's CSRF check, as for any form of the site. The Dash app sends Django's CSRF cookie
  back in the ``X-CSRFToken`` header of every callback (``csrf_token_name`` in
  ``kuro.dashboard.app``), which another site's page can neither read nor forge; the
  ``Origin`` of the request must be the server's own;
- or a full (write) token in ``Authorization`` (which a browser never sends by itself);
- with auth off (a workstation), anyone who can reach the server, as for the API.

A read-only token may read but not write.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from kuro.core.errors import AuthError, Forbidden

__all__ = ["check_write", "may_write"]


def _request() -> HttpRequest | None:
    """The Django request behind the Dash request being served (None outside one)."""
    import flask

    if not flask.has_request_context():
        return None
    request = WSGIRequest(flask.request.environ)  # headers and cookies; the body is Dash's
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    request.user = get_user(request)
    return request


def _csrf_refusal(request: HttpRequest) -> str | None:
    """Why Django's CSRF check refuses ``request``, or None when it passes."""

    def view(_: HttpRequest) -> HttpResponse:
        return HttpResponse()

    middleware = CsrfViewMiddleware(view)
    middleware.process_request(request)
    refused = middleware.process_view(request, view, (), {})
    if refused is None:
        return None
    return "this page's security token is missing or stale: reload the page and try again"


def check_write() -> str:
    """The name of who writes; ``AuthError`` or ``Forbidden`` (with the reason) when the
    request being served may not write."""
    from kuro.server.accounts.auth import authenticate

    if not settings.KURO_AUTH:
        return "anonymous"
    request = _request()
    if request is None:
        raise AuthError("sign in to edit")
    principal = authenticate(request)
    if principal.kind == "token":
        if principal.scope != "write":
            raise Forbidden(f"token {principal.name!r} is read-only")
        return principal.name
    if request.method != "POST":
        raise Forbidden("edits are sent as POST requests")
    refusal = _csrf_refusal(request)
    if refusal is not None:
        raise Forbidden(refusal)
    return principal.name


def may_write() -> bool:
    """Whether the person viewing may edit (to show or hide the editing controls); each
    write checks again with ``check_write``."""
    from kuro.server.accounts.auth import authenticate

    if not settings.KURO_AUTH:
        return True
    request = _request()
    if request is None:
        return False
    try:
        principal = authenticate(request)
    except AuthError:
        return False
    return principal.kind == "user" or principal.scope == "write"
