"""Kuro's one error tree, shared by the client and the server.

Every error carries a stable ``code``; the server maps codes to HTTP statuses in one
table (``kuro.server.tracking.errors``) and always answers
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
]


class KuroError(Exception):
    """Base of every error Kuro raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_payload(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "detail": self.detail}


class InvalidInput(KuroError):
    """The request or call is malformed; ``detail["field"]`` names the field at fault."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, detail: Any = None) -> None:
        if detail is None:
            detail = {"field": field}
        super().__init__(message, detail=detail)
        self.field = field


class ModeRequired(InvalidInput):
    """A new metric's mode cannot be inferred from its name."""

    code = "mode_required"


class PayloadTooLarge(InvalidInput):
    """A request is over a documented limit; the detail names the limit."""

    code = "too_large"


class NotFound(KuroError):
    """An id or name that does not exist."""

    code = "not_found"


class Conflict(KuroError):
    """The request contradicts what the server already holds."""

    code = "conflict"


class ModeConflict(Conflict):
    """A metric asked for with the other mode than the one fixed for its group."""

    code = "mode_conflict"


class LeaseLost(Conflict):
    """A write from a trial attempt whose lease expired and whose work was queued again."""

    code = "lease_lost"


class AuthError(KuroError):
    """No credentials, or credentials the server does not accept."""

    code = "unauthorized"


class Forbidden(AuthError):
    """Valid credentials without the right to do this."""

    code = "forbidden"


class ServerError(KuroError):
    """The server failed on its side."""

    code = "server_error"


class ServerBusy(ServerError):
    """The database stayed locked past its timeout; the request may be sent again."""

    code = "busy"


class TransportError(KuroError):
    """The network failed: the server is unreachable, timed out, or answered 5xx."""

    code = "transport"


_BY_CODE: dict[str, type[KuroError]] = {
    cls.code: cls
    for cls in (
        KuroError,
        InvalidInput,
        ModeRequired,
        PayloadTooLarge,
        NotFound,
        Conflict,
        ModeConflict,
        LeaseLost,
        AuthError,
        Forbidden,
        ServerError,
        ServerBusy,
        TransportError,
    )
}


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
