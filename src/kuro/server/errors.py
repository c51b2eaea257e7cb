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
from django.db import OperationalError
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

__all__ = ["error_response", "install_error_handlers", "json_error_view", "status_of"]

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
    by_status = {cls.status: cls for cls in reversed(ERROR_CLASSES) if cls.status}
    by_status[400] = InvalidInput
    error = by_status.get(exc.status_code, KuroError)(str(exc))
    response = error_response(error)
    response.status_code = exc.status_code
    return response


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


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, OperationalError) and _is_busy(exc):
        logger.warning("database busy on %s %s: %s", request.method, request.path, exc)
        response = error_response(
            ServerBusy("the database is busy; send the request again in a moment")
        )
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
