"""The JSON API under /api/v1/: one NinjaAPI composing the apps' routers, with Kuro's body
parser, renderer and error format."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from kuro.core.errors import InvalidInput
from kuro.server.accounts.auth import api_auth
from kuro.server.annotations.api import router as annotations_router
from kuro.server.endpoints import router as endpoints_router
from kuro.server.errors import install_error_handlers
from kuro.server.queue.api import router as queue_router
from kuro.server.telemetry.api import router as telemetry_router
from kuro.server.tracking.api import router as tracking_router

__all__ = ["api"]


class _Renderer(JSONRenderer):
    """Strict JSON out, with orjson: a 100-trial history is 100,000 floats, and the standard
    encoder spends most of the request's time on them. Non-finite metric values are already
    strings (the response schemas and ``kuro.server.wire`` write them): orjson would write
    ``null``."""

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        try:
            return orjson.dumps(data)
        except TypeError:  # a type orjson does not know: the Django-aware encoder knows more
            return json.dumps(data, cls=self.encoder_class, allow_nan=False)


class _Parser(Parser):
    """JSON in, with orjson; Python's bare ``NaN``/``Infinity`` tokens (which orjson
    refuses) are accepted through the standard parser, which also words the errors.

    Every endpoint takes a JSON object, and no text of it may hold what the databases or
    the hashes cannot take: a NUL character (PostgreSQL) or a lone UTF-16 surrogate (not
    encodable as UTF-8). Both are refused here, once, with a 422 naming the field; so is a
    body nested deeper than orjson reads (1,024 levels), whichever parser reads it (the
    standard parser's own limit is Python's recursion limit, which differs by version)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return self._parse(request.body)
        except RecursionError:
            raise _too_deep() from None

    def _parse(self, body: bytes) -> Any:
        try:
            data = orjson.loads(body)
            strict = True  # orjson refuses lone surrogates itself, and reads 1,024 levels
        except orjson.JSONDecodeError:
            data = json.loads(body)
            strict = False
            if _deeper_than(data, MAX_NESTING):
                raise _too_deep() from None
        if not isinstance(data, dict):
            raise InvalidInput(
                f"the request body is a JSON object, not {type(data).__name__}", field="body"
            )
        # Cheap tests first; most bodies never walk.
        if b"\\u0000" in body or (not strict and _SURROGATE_ESCAPE.search(body)):
            found = _bad_text(data, "")
            if found is not None:
                field, what = found
                raise InvalidInput(f"{field or 'body'} holds {what}", field=field or "body")
        return data


MAX_NESTING = 1024  # orjson's


def _too_deep() -> InvalidInput:
    return InvalidInput(
        f"the request body is nested deeper than {MAX_NESTING:,} levels", field="body"
    )


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether decoded JSON nests arrays and objects more than ``limit`` deep (a walk
    without recursion: the depth it measures may be past Python's recursion limit)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return False


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _problem(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character"
    if _LONE_SURROGATE.search(text):
        return "a lone UTF-16 surrogate (not valid Unicode text)"
    return None


def _printable(key: str) -> str:
    """A key as a field name that can itself be written out as JSON text."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _bad_text(value: Any, where: str) -> tuple[str, str] | None:
    """Where text the databases cannot store hides in decoded JSON (a NUL character, a lone
    surrogate), and what it is; or None."""
    if isinstance(value, str):
        what = _problem(value)
        return (where, what) if what else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{_printable(key)}" if where else _printable(key)
            what = _problem(key)
            if what:
                return inner, what
            found = _bad_text(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _bad_text(item, f"{where}[{i}]")
            if found is not None:
                return found
    return None


api = NinjaAPI(
    title="Kuro API",
    version="1",
    description=(
        "Workers, experiments, trials, metric points, the work queue and sweeps. Metric "
        'values are JSON numbers or the strings "NaN", "Infinity", "-Infinity". Errors are '
        '`{"error": code, "message": ..., "detail": {"field": ...}}`.'
    ),
    renderer=_Renderer(),
    parser=_Parser(),
    urls_namespace="api-v1",
    auth=api_auth,
)
install_error_handlers(api)
api.add_router("", tracking_router)
api.add_router("", endpoints_router)
api.add_router("", queue_router)
api.add_router("", annotations_router)
api.add_router("", telemetry_router)
