"""Request checks that hold for every URL, before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kuro.core.errors import InvalidInput
from kuro.server.errors import error_response

__all__ = ["RejectNul"]


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
