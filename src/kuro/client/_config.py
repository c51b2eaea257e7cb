"""The client's configuration in one place: defaults, environment variables, retry presets
and the server's request limits.

Every option of a ``Worker`` is an argument first, then an environment variable, then a
default; ``kuro sync``, ``kuro agent`` and ``kuro.Api`` read the same variables through the
same functions here, and retry with the presets below, so no two parts of the client can
disagree about where the server is or how long to keep trying.

>>> server_url("http://here:1/")
'http://here:1'
>>> server_url("localhost:8000")
Traceback (most recent call last):
...
kuro.core.errors.InvalidInput: the server is a URL like http://host:8000, not 'localhost:8000'
>>> batch_points(20_000, {**DEFAULTS, "max_batch_points": 1_000})
1000
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from kuro.client._retry import Retry
from kuro.core.errors import InvalidInput
from kuro.core.limits import DEFAULTS

__all__ = [
    "AGENT_RETRY",
    "API_RETRY",
    "BATCH_DELAY",
    "BATCH_SIZE",
    "CALL_RETRY",
    "DEFAULTS",
    "DEFAULT_MAX_PENDING",
    "DEFAULT_SERVER",
    "DELIVERY_RETRY",
    "ON_FULL",
    "PROBE_TIMEOUT",
    "SYNC_RETRY",
    "Config",
    "agent_trial",
    "agent_worker",
    "api_retry",
    "batch_points",
    "learned_limits",
    "resolve_token",
    "server_url",
    "spool_root",
]

DEFAULT_SERVER = "http://localhost:8000"
DEFAULT_MAX_PENDING = 500_000
"""Points a worker keeps in memory before spilling them to the spool (``KURO_MAX_PENDING``),
and at most in memory when the spool cannot be written either."""
MODES = ("online", "offline")
ON_FULL = ("drop", "block")
"""What a worker does when its memory bound is reached and its points can go neither to
the spool (its disk is full) nor to the server (down): drop the newest points and count
them, or make ``report_metric`` wait until there is room."""
BATCH_SIZE = 20_000
"""Points per batch the client aims for; the server's ``max_batch_points`` caps it."""
BATCH_DELAY = 0.1
"""Seconds the background sender waits for more points before packing a batch."""
PROBE_TIMEOUT = 5.0
"""Seconds for a request that must not hold anything up: health probes, heartbeats, the
first registration of a metric."""
# The most a point can take in a batch body: a 64-bit step, a value and a time as JSON
# numbers with their commas. Only ever used to keep batches under the server's body limit.
POINT_BYTES = 80

# Retry presets: every retry of the client is one of these.
CALL_RETRY = Retry(attempts=3, timeout=10.0, wait_initial=0.2, wait_max=2.0)
"""Calls from the training thread that need an answer (experiments, trials): short, since
the client falls back on the spool."""
DELIVERY_RETRY = CALL_RETRY
"""The background sender's delivery of one spooled request; it backs off between rounds."""
SYNC_RETRY = Retry(attempts=4, timeout=30.0)
"""``kuro sync``: a person is waiting, and the spool keeps whatever is not sent."""
AGENT_RETRY = Retry(attempts=8, timeout=120.0)
"""``kuro agent``: long-running, it rides out a server restart."""
API_RETRY = Retry(attempts=3, timeout=120.0)
"""``kuro.Api`` reads; its ``timeout`` replaces the total."""

N = TypeVar("N", int, float)


def server_url(server: str | None = None, recorded: str | None = None) -> str:
    """``server``, else ``KURO_SERVER``, else ``recorded`` (a spool session's server), else
    http://localhost:8000; without a trailing slash. ``InvalidInput`` (field "server") for
    anything but an http(s) URL with a host: a typo must not look like an outage."""
    from_env = not server and os.environ.get("KURO_SERVER")
    url = (server or os.environ.get("KURO_SERVER") or recorded or DEFAULT_SERVER).rstrip("/")
    try:
        parts = urllib.parse.urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        where = "KURO_SERVER" if from_env else "the server"
        raise InvalidInput(f"{where} is a URL like http://host:8000, not {url!r}", field="server")
    return url


def spool_root(spool_dir: str | Path | None = None) -> Path:
    """``spool_dir``, else ``KURO_SPOOL_DIR``, else ``~/.kuro/spool``."""
    if spool_dir is not None:
        return Path(spool_dir)
    configured = os.environ.get("KURO_SPOOL_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".kuro" / "spool"


def resolve_token(given: str | None = None) -> str | None:
    """``given``, else ``KURO_TOKEN``, else None (a server without authentication)."""
    return given or os.environ.get("KURO_TOKEN") or None


def agent_trial() -> int | None:
    """The trial ``kuro agent`` claimed for this process (``KURO_TRIAL_ID``), if any."""
    text = os.environ.get("KURO_TRIAL_ID")
    return int(text) if text and text.isdigit() else None


def agent_worker() -> str:
    """The worker name ``kuro agent`` runs this process as (``KURO_WORKER``)."""
    return os.environ.get("KURO_WORKER") or "kuro-agent"


def api_retry(timeout: float) -> Retry:
    """``API_RETRY`` within ``timeout`` seconds in all."""
    return replace(API_RETRY, timeout=timeout)


def _number(given: N | None, name: str, default: N, cast: Callable[[str], N]) -> N:
    if given is not None:
        return given
    text = os.environ.get(name)
    if not text:
        return default
    try:
        return cast(text)
    except ValueError:
        raise InvalidInput(f"{name} is a number, not {text!r}", field=name) from None


def _on_full(given: str | None) -> str:
    on_full = given or os.environ.get("KURO_ON_FULL") or "drop"
    if on_full not in ON_FULL:
        raise InvalidInput(f"on_full is 'drop' or 'block', not {on_full!r}", field="on_full")
    return on_full


def _capture(given: bool | None) -> bool:
    if given is not None:
        return given
    text = (os.environ.get("KURO_CAPTURE") or "on").strip().lower()
    if text not in ("on", "off"):
        raise InvalidInput(f"KURO_CAPTURE is 'on' or 'off', not {text!r}", field="KURO_CAPTURE")
    return text == "on"


def _mode(given: str | None) -> str:
    mode = given or os.environ.get("KURO_MODE") or "online"
    if mode not in MODES:
        raise InvalidInput(f"mode is 'online' or 'offline', not {mode!r}", field="mode")
    return mode


@dataclass(frozen=True)
class Config:
    """A worker's options, each resolved once from its argument, its environment variable,
    or its default (see ``Worker``)."""

    server: str
    mode: str
    spool_dir: Path
    flush_timeout: float
    max_pending: int
    heartbeat: float
    token: str | None
    on_full: str = "drop"
    capture: bool = True
    """Whether each trial sends its run context (``kuro.client._context``)."""

    @property
    def offline(self) -> bool:
        return self.mode == "offline"

    @classmethod
    def resolve(
        cls,
        server: str | None = None,
        *,
        mode: str | None = None,
        spool_dir: str | Path | None = None,
        flush_timeout: float | None = None,
        max_pending: int | None = None,
        heartbeat: float | None = None,
        token: str | None = None,
        on_full: str | None = None,
        capture: bool | None = None,
    ) -> Config:
        return cls(
            server=server_url(server),
            mode=_mode(mode),
            spool_dir=spool_root(spool_dir),
            flush_timeout=_number(flush_timeout, "KURO_FLUSH_TIMEOUT", 10.0, float),
            max_pending=_number(max_pending, "KURO_MAX_PENDING", DEFAULT_MAX_PENDING, int),
            heartbeat=_number(heartbeat, "KURO_HEARTBEAT", 30.0, float),
            token=resolve_token(token),
            on_full=_on_full(on_full),
            capture=_capture(capture),
        )


def learned_limits(health: Any) -> dict[str, int]:
    """The request limits a server's ``GET /health`` answer states, over ``DEFAULTS`` (an
    older server states none)."""
    limits = dict(DEFAULTS)
    stated = health.get("limits") if isinstance(health, Mapping) else None
    if isinstance(stated, Mapping):
        for name, value in stated.items():
            if name in limits and isinstance(value, int) and not isinstance(value, bool):
                limits[name] = value
    return limits


def batch_points(batch_size: int, limits: Mapping[str, int]) -> int:
    """Points per batch: ``batch_size``, within the server's point and body limits."""
    by_body = limits["max_body_bytes"] // POINT_BYTES
    return max(1, min(batch_size, limits["max_batch_points"], by_body))
