"""Writes of tokens and people."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from kuro.core.errors import Conflict, InvalidInput, NotFound
from kuro.server.accounts.models import ApiToken

__all__ = ["token_create", "token_digest", "token_revoke", "user_create"]

TOKEN_PREFIX = "kuro_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, name: str, read_only: bool = False) -> tuple[ApiToken, str]:
    """A new token named ``name``: the stored row and the token itself, shown only now."""
    if not name or len(name) > 200:
        raise InvalidInput("a token name has 1 to 200 characters", field="name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            row = ApiToken.objects.create(
                name=name,
                digest=token_digest(token),
                prefix=token[: len(TOKEN_PREFIX) + 4],
                scope=ApiToken.Scope.READ if read_only else ApiToken.Scope.WRITE,
            )
    except IntegrityError:
        raise Conflict(f"a token named {name!r} exists already", detail={"field": "name"}) from None
    return row, token


def token_revoke(*, name: str) -> ApiToken:
    """Revoke a token by name; it is refused from then on."""
    row = ApiToken.objects.filter(name=name).first()
    if row is None:
        raise NotFound(f"no token named {name!r}", detail={"field": "name"})
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
    return row


def user_create(*, username: str, password: str, admin: bool = False):
    """A person who can log in to the dashboard (and to the admin with ``admin``)."""
    if len(password) < 8:
        raise InvalidInput("a password has at least 8 characters", field="password")
    users = get_user_model()
    if users.objects.filter(username=username).exists():
        raise Conflict(f"a user named {username!r} exists already", detail={"field": "username"})
    if admin:
        return users.objects.create_superuser(username=username, password=password)
    return users.objects.create_user(username=username, password=password)
