"""A real ``kuro server`` (gunicorn) in a subprocess, on its own database, for tests and
benchmarks that must meet the server as users do: over HTTP, killable, restartable."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

__all__ = ["LiveServer", "free_port", "scratch_database"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_database(base_url: str) -> tuple[str, Callable[[], None]]:
    """A new empty PostgreSQL database beside ``base_url``'s: its URL and a function to drop it."""
    import psycopg

    name = f"kuro_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(base_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))

    def drop() -> None:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


class LiveServer:
    """``kuro server`` on a free port with its own data directory (and PostgreSQL database
    when ``KURO_DATABASE_URL`` is set). ``kill()`` is SIGKILL; ``start()`` again restarts it
    on the same port and data."""

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 2,
        database_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        auth: str | None = "off",
        extra_args: list[str] | None = None,
    ):
        self.extra_args = extra_args or []
        self.extra_env = extra_env or {}
        self.auth = auth  # KURO_AUTH for the server; None lets `kuro server` decide by address
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.database_url = database_url
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("KURO_DATABASE_URL", "KURO_AUTH")}
        env["KURO_DATA_DIR"] = str(self.data_dir)
        if self.auth is not None:
            env["KURO_AUTH"] = self.auth
        if self.database_url:
            env["KURO_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60, *, host: str = "127.0.0.1") -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        kuro = Path(sys.executable).with_name("kuro")
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    str(kuro),
                    "server",
                    "--host",
                    host,
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self.workers),
                    *self.extra_args,
                ],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kuro server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"kuro server did not start: {self.log.read_text()[-3000:]}")

    def _signal_group(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL the server and its gunicorn workers at once."""
        self._signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)

    def stop(self) -> None:
        self._signal_group(signal.SIGTERM)
        if self.process is not None:
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
