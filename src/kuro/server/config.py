"""Server configuration read from the environment, kept apart from Django's settings module."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from kuro.core.limits import DEFAULTS

__all__ = [
    "auth_mode",
    "database_settings",
    "is_loopback",
    "limits",
    "queue_defaults",
    "runserver_host",
    "secret_key",
]


def database_settings(data_dir: Path) -> dict[str, Any]:
    """Django's ``DATABASES["default"]``: PostgreSQL from ``KURO_DATABASE_URL``, else SQLite."""
    url = os.environ.get("KURO_DATABASE_URL", "").strip()
    if url:
        return _postgresql(url)
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(data_dir / "kuro.sqlite3"),
        "OPTIONS": {
            # Every write transaction takes the write lock at BEGIN, so two writers never
            # deadlock upgrading a read lock; the busy timeout makes them queue, not fail.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            # A batch is answered once committed, and the client then drops it from its spool:
            # FULL syncs the WAL at each commit, so an answered batch survives a power loss or
            # a kernel crash of the server's machine (NORMAL syncs only at checkpoints, and a
            # crash could take the last answered batches back). About 0.1 ms a commit here.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA busy_timeout=30000;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA mmap_size=268435456;"
            ),
        },
        # Connections (and their page caches) live across requests.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        # A file (not memory) so a live server thread shares it; per process so that
        # concurrent test runs on one machine never share a test database.
        "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"kuro-test-{os.getpid()}.sqlite3")},
    }


def _postgresql(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"KURO_DATABASE_URL must start with postgresql://, not {parts.scheme}://")
    return {
        # Django's backend with a health check that asks the socket first (no SELECT 1 on
        # every request while the connection is sound).
        "ENGINE": "kuro.server.postgresql",
        "NAME": unquote(parts.path.lstrip("/")) or "kuro",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": f"test_kuro_{os.getpid()}"},
    }


def secret_key(data_dir: Path) -> str:
    """``KURO_SECRET_KEY``, else a key generated once and kept in the data directory."""
    configured = os.environ.get("KURO_SECRET_KEY")
    if configured:
        return configured
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Written aside, then linked into place: a concurrent first start never reads half a key.
    tmp = data_dir / f".secret_key.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    try:
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        tmp.unlink()
    return key


def limits() -> dict[str, int]:
    """Documented request limits (defaults in ``kuro.core.limits.DEFAULTS``); each can be set
    by its environment variable, ``KURO_<NAME>``."""
    return {
        name: int(os.environ.get(f"KURO_{name.upper()}", str(default)))
        for name, default in DEFAULTS.items()
    }


POINT_BODY_BYTES = 128
"""Body bytes a batch of points may spend per point it may hold: a 64-bit step, a value and a
time as JSON numbers take at most about 65, and the rest pays for the series' own fields.
The client budgets 80 per point (``kuro.client._config.POINT_BYTES``)."""


def points_body_bytes(limits: dict[str, int]) -> int:
    """The largest ``POST /points`` body: ``POINT_BODY_BYTES`` per point of
    ``max_batch_points`` (6.4 MB by default), never above ``max_body_bytes``. Refused from
    its ``Content-Length`` before a byte is parsed, so a request's memory stays bounded."""
    return min(
        limits["max_body_bytes"], max(64 * 1024, limits["max_batch_points"] * POINT_BODY_BYTES)
    )


def queue_defaults() -> dict[str, int]:
    """How long a claimed trial's lease lasts without a heartbeat, and how many times lost
    work goes back to the queue before it fails."""
    return {
        "lease_seconds": int(os.environ.get("KURO_LEASE_SECONDS", "120")),
        "max_retries": int(os.environ.get("KURO_MAX_RETRIES", "2")),
    }


_LOOPBACK = ("127.", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    return host.startswith(_LOOPBACK)


def auth_mode(
    host: str | None, *, insecure: bool = False, configured: str | None = None
) -> tuple[bool, str | None]:
    """Whether auth is on for a server bound to ``host``, and a warning to print, if any:
    the one rule of ``kuro server`` and ``manage.py runserver``.

    ``KURO_AUTH`` (``configured``) decides when set; else auth follows the bind address:
    open on a loopback address (one person's workstation), on anywhere else, and on when
    the address is unknown (``host`` None: another WSGI server). Serving open beyond
    loopback takes ``--insecure``."""
    if insecure:
        return False, (
            f"WARNING: auth is off on {host} (--insecure): anyone who can reach this port "
            "can read and write every experiment"
        )
    if configured is not None:
        on = configured.lower() not in ("off", "0", "false", "no")
        if not on and host is not None and not is_loopback(host):
            raise SystemExit(
                f"kuro: refusing to serve {host} with KURO_AUTH={configured}: "
                "auth stays on beyond this machine unless you pass --insecure"
            )
        return on, None
    return host is None or not is_loopback(host), None


# runserver's options that take a value (the next argument is not the address).
_VALUED = ("--settings", "--pythonpath", "-v", "--verbosity")


def runserver_host(argv: list[str]) -> str | None:
    """The address ``manage.py runserver [addrport]`` (or ``django-admin runserver``) binds,
    read from the command line; None when this process is not runserver."""
    if "runserver" not in argv[1:]:
        return None
    args = argv[argv.index("runserver", 1) + 1 :]
    ipv6 = "-6" in args or "--ipv6" in args
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            host, colon, _ = arg.rpartition(":")
            if not colon or not host:
                break  # a port alone: the default address
            host = host.strip("[]")
            return "0.0.0.0" if host == "0" else host
    return "::1" if ipv6 else "127.0.0.1"
