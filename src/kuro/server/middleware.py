"""Request checks and chores that hold for every URL, before any view runs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse

from kuro.core.errors import InvalidInput
from kuro.server.errors import error_response
from kuro.server.queue.services import leases_reap_if_due

__all__ = ["ReapLeases", "RejectNul", "reaping"]

logger = logging.getLogger("kuro.server")


class RejectNul:
    """NUL characters in a path or query string are refused with a 422: PostgreSQL cannot
    store them, and no Kuro name or identifier needs one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:
            return error_response(InvalidInput("the path holds a NUL character", field="path"))
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return error_response(
                    InvalidInput(f"{key.strip(chr(0))} holds a NUL character", field=key)
                )
        return self.get_response(request)


def _reap() -> None:
    # A read must not fail because the chore did: the next request tries again.
    try:
        leases_reap_if_due()
    except Exception:
        logger.exception("kuro: reaping expired leases failed")


class ReapLeases:
    """Trials whose lease expired are marked lost (and their queued work queued again)
    before the request is served, at most once a second per process: every read sees
    statuses that hold within a lease and a second, without waiting for a worker's claim."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _reap()
        return self.get_response(request)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def reaping(app: WSGIApp) -> WSGIApp:
    """``app`` (a WSGI application outside Django's middleware, such as the dashboard)
    reaping expired leases before each request, as ``ReapLeases`` does for Django's."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        close_old_connections()
        _reap()
        return app(environ, start_response)

    return wrapped
