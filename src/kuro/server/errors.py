"""The server's one error format: every 4xx/5xx is ``{"error", "message", "detail"}``.

Each error class carries its HTTP status (``kuro.core.errors``); ``detail["field"]`` names
the field at fault. Installed on the one NinjaAPI; Django-level 404/500 use the same body.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kuro.core.errors import (
    ERROR_CLASSES,
    AuthError,
    InvalidInput,
    KuroError,
    NotFound,
    PayloadTooLarge,
    ServerBusy,
    ServerError,
)

__all__ = [
    "error_for_status",
    "error_response",
    "install_error_handlers",
    "is_connection_lost",
    "json_error_view",
    "retry_later",
    "status_of",
]

logger = logging.getLogger("kuro.server")


def status_of(error: KuroError) -> int:
    """The HTTP status of ``error``: its class's own (``KuroError.status``), 500 for none."""
    return error.status or 500


def error_response(error: KuroError) -> JsonResponse:
    """The JSON answer for a Kuro error."""
    return JsonResponse(error.to_payload(), status=status_of(error))


_LOCATIONS = {"body", "query", "path", "payload"}


def _is_type_tag(part: Any) -> bool:
    """Pydantic names the member of a union it tried (``float``, ``literal['NaN']``)."""
    return isinstance(part, str) and (
        "[" in part or "-" in part or part in {"float", "int", "str", "bool", "list", "dict"}
    )


def _field_of(loc: Any) -> str:
    loc = [p for p in loc if p not in _LOCATIONS]
    while loc and _is_type_tag(loc[-1]):
        loc.pop()
    parts = [str(p) for p in loc]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: list[dict[str, Any]] = []
    seen = set()
    for e in exc.errors:
        field = _field_of(e.get("loc", ()))
        if field in seen:  # one line per field, not one per union member tried
            continue
        seen.add(field)
        errors.append({"field": field, "message": e.get("msg", ""), "type": e.get("type")})
    first = errors[0] if errors else {"field": "body", "message": "invalid input"}
    message = f"{first['field']}: {first['message']}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return error_response(
        InvalidInput(message, detail={"field": first["field"], "errors": errors[:50]})
    )


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, RequestDataTooBig):
        return _too_big(request, cause)
    if isinstance(cause, KuroError):
        return error_response(cause)
    if isinstance(cause, (ValueError, UnicodeDecodeError)):
        return error_response(
            InvalidInput(f"the request body is not valid JSON: {cause}", field="body")
        )
    if isinstance(exc, AuthenticationError):
        return error_response(AuthError(str(exc)))
    # ninja's own HTTP errors, as the Kuro class of that status (derived from the tree).
    response = error_response(error_for_status(exc.status_code, str(exc)))
    response.status_code = exc.status_code
    return response


def error_for_status(status: int, message: str) -> KuroError:
    """The Kuro error class of an HTTP status (400 and other 4xx: ``InvalidInput``)."""
    by_status = {cls.status: cls for cls in reversed(ERROR_CLASSES) if cls.status}
    cls = by_status.get(status) or (InvalidInput if 400 <= status < 500 else KuroError)
    return cls(message)


def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        PayloadTooLarge(
            f"the request body is larger than {limit} bytes (KURO_MAX_BODY_BYTES): split it",
            detail={"field": "body", "limit": limit},
        )
    )


def _is_busy(exc: Exception) -> bool:
    """A lock the database would not grant in time: SQLite's BUSY, PostgreSQL's lock
    timeouts, deadlocks and serialization failures. Worth a retry, not a 500."""
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return True
    return getattr(cause, "sqlstate", None) in ("55P03", "40001", "40P01")


# PostgreSQL's connection exceptions (class 08) and its shutdown/startup states (57P01-03).
_CONNECTION_STATES = ("57P01", "57P02", "57P03")


def is_connection_lost(exc: BaseException) -> bool:
    """The database connection broke or could not be made (a restart, a failover): the
    request may succeed a moment later, on a new connection Django opens by itself."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlite_errorcode", None) is not None:
        return False  # SQLite has no connection to lose; its errors are the file's
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        # psycopg's own errors (server closed the connection, cannot connect, connection
        # already closed) carry no SQLSTATE; Django's InterfaceError is a closed connection.
        return isinstance(exc, InterfaceError) or type(cause).__module__.startswith("psycopg")
    return sqlstate.startswith("08") or sqlstate in _CONNECTION_STATES


def retry_later(exc: BaseException) -> KuroError | None:
    """``ServerBusy`` for a database error worth retrying (a lock, a lost connection)."""
    if isinstance(exc, OperationalError) and _is_busy(exc):
        return ServerBusy("the database is busy; send the request again in a moment")
    if is_connection_lost(exc):
        return ServerBusy("the database is unreachable; send the request again in a moment")
    return None


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    busy = retry_later(exc)
    if busy is not None:
        logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        response = error_response(busy)
        response["Retry-After"] = "1"
        return response
    logger.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(ServerError("the server failed; the error is in its log"))


def _kuro_error(request: HttpRequest, exc: KuroError) -> HttpResponse:
    return error_response(exc)


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(NotFound("no such resource"))


_HANDLERS: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
    KuroError: _kuro_error,
    ValidationError: _validation,
    HttpError: _http_error,
    RequestDataTooBig: _too_big,
    Http404: _not_found,
    Exception: _unexpected,
}


def install_error_handlers(api: NinjaAPI) -> None:
    """Make every error the API can raise answer in Kuro's one format."""
    for exc_class, handler in _HANDLERS.items():
        api.add_exception_handler(exc_class, handler)


def json_error_view(error: KuroError) -> HttpResponse:
    """For Django-level handlers (404/500 outside the API), the same body."""
    return HttpResponse(
        json.dumps(error.to_payload()), status=status_of(error), content_type="application/json"
    )
