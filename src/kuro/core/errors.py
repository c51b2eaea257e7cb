"""Kuro's one error tree, shared by the client and the server.

Every error class carries its stable ``code`` and its HTTP ``status``; every table (the
client's code-to-class lookup, the server's answers) is derived from the class tree below,
and the server (``kuro.server.errors``) always answers
``{"error": code, "message": ..., "detail": ...}``. The client turns such an answer back
into the same class with :func:`error_from_payload`. Never match on messages: match on
classes or codes.

    KuroError                          code            HTTP
    ├── InvalidInput                   invalid         422
    │   ├── ModeRequired               mode_required   422
    │   └── PayloadTooLarge            too_large       413
    ├── NotFound                       not_found       404
    ├── Conflict                       conflict        409
    │   ├── ModeConflict               mode_conflict   409
    │   └── LeaseLost                  lease_lost      409
    ├── AuthError                      unauthorized    401
    │   └── Forbidden                  forbidden       403
    ├── ServerError                    server_error    500
    │   └── ServerBusy                 busy            503
    └── TransportError                 transport       (client side: the network failed)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ERROR_CLASSES",
    "AuthError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "KuroError",
    "LeaseLost",
    "ModeConflict",
    "ModeRequired",
    "NotFound",
    "PayloadTooLarge",
    "ServerBusy",
    "ServerError",
    "TransportError",
    "error_from_payload",
    "tree_text",
]


class KuroError(Exception):
    """Base of every error Kuro raises on purpose."""

    code = "error"
    status: int | None = 500
    """The HTTP status the server answers this error with (None: never sent by a server)."""

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_payload(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "detail": self.detail}


class InvalidInput(KuroError):
    """The request or call is malformed; ``detail["field"]`` names the field at fault."""

    code = "invalid"
    status: int | None = 422

    def __init__(self, message: str, *, field: str | None = None, detail: Any = None) -> None:
        if detail is None:
            detail = {"field": field}
        super().__init__(message, detail=detail)
        self.field = field


class ModeRequired(InvalidInput):
    """A new metric's mode cannot be inferred from its name."""

    code = "mode_required"
    status: int | None = 422


class PayloadTooLarge(InvalidInput):
    """A request is over a documented limit; the detail names the limit."""

    code = "too_large"
    status: int | None = 413


class NotFound(KuroError):
    """An id or name that does not exist."""

    code = "not_found"
    status: int | None = 404


class Conflict(KuroError):
    """The request contradicts what the server already holds."""

    code = "conflict"
    status: int | None = 409


class ModeConflict(Conflict):
    """A metric asked for with the other mode than the one fixed for its group."""

    code = "mode_conflict"
    status: int | None = 409


class LeaseLost(Conflict):
    """A write from a trial attempt whose lease expired and whose work was queued again."""

    code = "lease_lost"
    status: int | None = 409


class AuthError(KuroError):
    """No credentials, or credentials the server does not accept."""

    code = "unauthorized"
    status: int | None = 401


class Forbidden(AuthError):
    """Valid credentials without the right to do this."""

    code = "forbidden"
    status: int | None = 403


class ServerError(KuroError):
    """The server failed on its side."""

    code = "server_error"
    status: int | None = 500


class ServerBusy(ServerError):
    """The database stayed locked past its timeout; the request may be sent again."""

    code = "busy"
    status: int | None = 503


class TransportError(KuroError):
    """The network failed: the server is unreachable, timed out, or answered 5xx."""

    code = "transport"
    status: int | None = None


def _tree(cls: type[KuroError]) -> list[type[KuroError]]:
    """``cls`` and every class below it, depth first, in the order they are defined."""
    return [cls, *(sub for child in cls.__subclasses__() for sub in _tree(child))]


ERROR_CLASSES: tuple[type[KuroError], ...] = tuple(_tree(KuroError))
"""Every error class of the tree, the base first: the one list the tables derive from."""

_BY_CODE: dict[str, type[KuroError]] = {cls.code: cls for cls in ERROR_CLASSES}


def tree_text() -> str:
    """The tree drawn in this module's docstring, derived from the classes (a test keeps the
    docstring equal to it)."""
    lines = [f"    {'KuroError':<35}{'code':<16}HTTP"]

    def walk(cls: type[KuroError], prefix: str) -> None:
        children = cls.__subclasses__()
        for i, child in enumerate(children):
            last = i == len(children) - 1
            name = prefix + ("└── " if last else "├── ") + child.__name__
            status = str(child.status) if child.status else "(client side: the network failed)"
            lines.append(f"    {name:<35}{child.code:<16}{status}".rstrip())
            walk(child, prefix + ("    " if last else "│   "))

    walk(KuroError, "")
    return "\n".join(lines)


def error_from_payload(payload: Any, *, status: int | None = None) -> KuroError:
    """Rebuild the error a server answered, as the class its code names."""
    if not isinstance(payload, dict):
        return ServerError(f"server answered {status} without a Kuro error body")
    cls = _BY_CODE.get(str(payload.get("error")), KuroError)
    message = str(payload.get("message") or payload.get("error") or f"HTTP {status}")
    detail = payload.get("detail")
    if issubclass(cls, InvalidInput):
        field = detail.get("field") if isinstance(detail, dict) else None
        return cls(message, field=field, detail=detail)
    return cls(message, detail=detail)
