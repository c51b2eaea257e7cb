"""The address a request came from, as the sign-in throttle counts it.

Behind ``KURO_PROXY_COUNT`` trusted reverse proxies (nginx with ``proxy_set_header
X-Forwarded-For $proxy_add_x_forwarded_for``), each proxy appends the address it saw to
``X-Forwarded-For``: the client is then that many entries from the right. Entries further
left are whatever the client sent and are never trusted. With no proxy (the default) the
header is ignored and the socket's address counts, so nobody can dodge the throttle by
sending the header.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

__all__ = ["client_address"]


def client_address(request: HttpRequest) -> str | None:
    """The client's address for django-axes (``AXES_CLIENT_IP_CALLABLE``)."""
    proxies = settings.KURO_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:  # not through the whole proxy chain: the socket's address
        return remote
    return forwarded[-proxies]
