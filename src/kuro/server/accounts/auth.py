"""Who is asking: a bearer token or a logged-in session, checked against the request.

Auth is on unless ``KURO_AUTH=off`` (``kuro server`` turns it off only on a loopback
address, or with ``--insecure``). With auth on, anonymous requests get 401, revoked or
unknown tokens 401, and read-only tokens 403 on anything that writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from kuro.core.errors import AuthError, Forbidden
from kuro.server.accounts.models import ApiToken
from kuro.server.accounts.services import token_digest

__all__ = ["Principal", "api_auth", "authenticate", "may_write"]

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Reads that take a body too long for a URL.
READ_POSTS = ("/api/v1/history",)


@dataclass(frozen=True)
class Principal:
    name: str
    scope: str  # "read" or "write"
    kind: str  # "token", "user" or "open"


OPEN = Principal(name="anonymous", scope="write", kind="open")


def authenticate(request: HttpRequest) -> Principal:
    """The principal behind a request, or ``AuthError`` (401)."""
    if not settings.KURO_AUTH:
        return OPEN
    header = request.headers.get("Authorization", "")
    if header:
        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be 'Bearer <token>'")
        row = ApiToken.objects.filter(digest=token_digest(token.strip())).first()
        if row is None or row.revoked_at is not None:
            raise AuthError("this token is unknown or revoked")
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return Principal(name=row.name, scope=row.scope, kind="token")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        # A browser session reads; writes need a token (so no cross-site request can write).
        return Principal(name=user.get_username(), scope="read", kind="user")
    raise AuthError("authentication required: send 'Authorization: Bearer <token>' (KURO_TOKEN)")


def may_write(request: HttpRequest) -> bool:
    return request.method not in SAFE_METHODS and request.path not in READ_POSTS


def api_auth(request: HttpRequest) -> Principal:
    """django-ninja's auth callable for every API operation."""
    principal = authenticate(request)
    if principal.scope != "write" and may_write(request):
        what = f"token {principal.name!r}" if principal.kind == "token" else "a browser session"
        raise Forbidden(f"{what} is read-only; this request writes (use a full token)")
    request.kuro_principal = principal
    return principal
