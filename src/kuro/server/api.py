"""The JSON API under /api/v1/: one NinjaAPI composing the apps' routers, with Kuro's body
parser, renderer and error format."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from kuro.core.errors import InvalidInput
from kuro.server.accounts.auth import api_auth
from kuro.server.endpoints import router as endpoints_router
from kuro.server.errors import install_error_handlers
from kuro.server.queue.api import router as queue_router
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
    refuses) are accepted through the standard parser, which also words the errors."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            data = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            data = json.loads(request.body)
        if b"\\u0000" in request.body:  # cheap test first; most bodies never walk
            field = _nul_field(data, "")
            if field is not None:
                raise InvalidInput(
                    f"{field or 'body'} holds a NUL character", field=field or "body"
                )
        return data


def _nul_field(value: Any, where: str) -> str | None:
    """Where a NUL character hides in decoded JSON (PostgreSQL cannot store one), or None."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if "\x00" in key:
                return inner
            found = _nul_field(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_field(item, f"{where}[{i}]")
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
