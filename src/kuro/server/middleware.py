"""Request checks and chores that hold for every URL, before any view runs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse

from kuro.core.errors import InvalidInput, PayloadTooLarge
from kuro.server.errors import error_response
from kuro.server.queue.services import leases_reap_if_due

__all__ = ["ReapLeases", "RejectNul", "bounded_bodies", "reaping"]

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


_POINTS_PATH = "/api/v1/points"
_CHUNK = 64 * 1024


def bounded_bodies(app: WSGIApp) -> WSGIApp:
    """``app`` refusing a ``POST /points`` body larger than ``KURO_POINTS_BODY_BYTES``
    before any of it is parsed: from its ``Content-Length``, or while reading a chunked
    body. Parsing a batch costs many times its size in memory; this bounds it per request.

    A refused body is read and discarded in small chunks (up to ``max_body_bytes``) so that
    the client, still sending, reads the 413 instead of a reset connection."""
    from django.conf import settings

    def refuse(
        environ: dict[str, Any], start_response: Callable[..., Any], limit: int, unread: int
    ) -> Iterable[bytes]:
        stream = environ["wsgi.input"]
        budget = min(unread, settings.KURO_LIMITS["max_body_bytes"])
        while budget > 0 and (chunk := stream.read(min(_CHUNK, budget))):
            budget -= len(chunk)
        error = PayloadTooLarge(
            f"a batch of points takes at most {limit} bytes (KURO_MAX_BATCH_POINTS x "
            f"{_bytes_per_point()} bytes): split it",
            detail={"field": "body", "limit": limit},
        )
        body = json.dumps(error.to_payload()).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        if budget > 0 or unread < 0:
            headers.append(("Connection", "close"))
        start_response("413 Request Entity Too Large", headers)
        return [body]

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != _POINTS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        limit = settings.KURO_POINTS_BODY_BYTES
        length = environ.get("CONTENT_LENGTH") or ""
        if length.strip().isdigit():
            if int(length) > limit:
                return refuse(environ, start_response, limit, int(length))
            return app(environ, start_response)
        # No length (a chunked body): read at most one byte past the limit, then hand the
        # bytes on with their length, as if the client had sent one.
        stream = environ["wsgi.input"]
        chunks, size = [], 0
        while size <= limit and (chunk := stream.read(min(_CHUNK, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            return refuse(environ, start_response, limit, -1)
        environ["wsgi.input"] = io.BytesIO(b"".join(chunks))
        environ["CONTENT_LENGTH"] = str(size)
        return app(environ, start_response)

    return wrapped


def _bytes_per_point() -> int:
    from kuro.server.config import POINT_BODY_BYTES

    return POINT_BODY_BYTES
