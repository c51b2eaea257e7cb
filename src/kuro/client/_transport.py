"""The seam between the client and the server: one JSON request at a time.

``Transport`` is a small abstract class; ``HttpTransport`` is the real one, over one pooled
``httpx.Client``. Tests pass an ``httpx.MockTransport`` or ``httpx.WSGITransport`` into
``HttpTransport`` (``transport=``), or subclass ``Transport`` outright.
"""

from __future__ import annotations

import email.utils
import functools
import json
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

import httpx

from kuro.client._config import resolve_token
from kuro.client._packages import PackageSets
from kuro.core.errors import InvalidInput, TransportError, error_from_payload

__all__ = ["HttpTransport", "Transport", "dumps"]

API_PREFIX = "/api/v1"
CLOCK_TOLERANCE = 2.0
"""Seconds of difference from the server's clock taken as none: its ``Date`` header has a
resolution of one second."""


def dumps(body: Any) -> bytes:
    """A request body as bytes of strict JSON. Metric values are encoded beforehand, as the
    strings of ``kuro.core.values`` ("NaN", "Infinity", "-Infinity"), where a batch is
    packed; a bare non-finite float anywhere else is refused here, never sent."""
    try:
        return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
    except ValueError as exc:
        raise InvalidInput(f"a request body must be plain JSON: {exc}", field="body") from None


class Transport(ABC):
    """Sends one request to the Kuro API and answers its decoded JSON body.

    Rules: ``request`` raises ``kuro.TransportError`` when the server is unreachable, times
    out or answers 5xx (worth retrying), and the ``KuroError`` class the server names for
    any 4xx (not worth retrying). It is safe to call from several threads at once. The
    constructor does no I/O.

    ``clock_offset`` is what to add to this machine's time to get the server's (0 until
    known, and for a difference under ``CLOCK_TOLERANCE``). ``package_sets`` is what this
    client knows the server holds (``kuro.client._packages``).
    """

    clock_offset: float = 0.0

    @functools.cached_property
    def package_sets(self) -> PackageSets:
        """The package sets the server is known to hold (made on first use)."""
        return PackageSets()

    @abstractmethod
    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """``path`` is relative to ``/api/v1``; ``content`` is a JSON body already encoded."""

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """``request`` with a body still to encode."""
        content = None if body is None else dumps(body)
        return self.request(method, path, content=content, **kwargs)

    def close(self) -> None:  # noqa: B027 - a transport without resources needs no close
        """Release connections; the transport is not used afterwards."""


class HttpTransport(Transport):
    """The Kuro API over HTTP, through pooled ``httpx.Client`` connections, with the API
    token ``token`` (default ``KURO_TOKEN``) when the server wants one.

    Each thread gets its own client, made on first use: the background sender keeps one
    keep-alive connection, and the training thread's rare calls (experiments, trials) never
    queue behind a batch upload. (Sharing one client between threads also leaked sockets
    under load with httpcore 1.0.)
    """

    def __init__(
        self,
        server: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        token: str | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        token = resolve_token(token)
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self._transport = transport
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def client(self) -> httpx.Client:
        """This thread's client."""
        client = getattr(self._local, "client", None)
        if client is None:
            with self._lock:
                if self._closed:
                    raise RuntimeError("this Kuro transport was closed")
                client = httpx.Client(
                    base_url=self.server + API_PREFIX,
                    timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
                    transport=self._transport,
                    headers=self._headers,
                    limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                )
                self._clients.append(client)
            self._local.client = client
        return client

    def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = self.client.request(method, path, content=content, params=params, **extra)
        except httpx.HTTPError as exc:  # connect errors, timeouts, broken connections
            raise TransportError(
                f"{method} {self.server}{API_PREFIX}{path}: {type(exc).__name__}: {exc}"
            ) from exc
        self._observe_clock(response.headers.get("date"))
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 500:
            message = payload.get("message") if isinstance(payload, dict) else None
            raise TransportError(
                f"{method} {path}: the server answered {response.status_code}"
                + (f": {message}" if message else ""),
                detail={"status": response.status_code},
            )
        if response.status_code >= 400:
            raise error_from_payload(payload, status=response.status_code)
        return payload

    def _observe_clock(self, date: str | None) -> None:
        """Measure ``clock_offset`` from an answer's ``Date`` header (whole seconds: the
        server's time is taken as the middle of its second)."""
        if not date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp() + 0.5
        except (TypeError, ValueError, IndexError):
            return
        offset = server - time.time()
        self.clock_offset = offset if abs(offset) >= CLOCK_TOLERANCE else 0.0

    def close(self) -> None:
        with self._lock:
            self._closed = True
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
