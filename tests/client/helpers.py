"""Running programs as users do (their own interpreter, the ``kuro`` command) and reading
back everything a group holds."""

from __future__ import annotations

import email.utils
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

import kuro

REPO = Path(__file__).resolve().parents[2]


def run_python(
    code_or_path: str | Path, env: dict[str, str], *args: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run a program as a user would, in its own interpreter, with ``env`` added."""
    command = (
        [sys.executable, str(code_or_path)]
        if isinstance(code_or_path, Path)
        else [
            sys.executable,
            "-c",
            code_or_path,
        ]
    )
    return subprocess.run(
        [*command, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def run_kuro(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The ``kuro`` command of this environment."""
    kuro_bin = Path(sys.executable).with_name("kuro")
    return subprocess.run(
        [str(kuro_bin), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def fill(directory: Path) -> Path:
    """Fill the file system of ``directory`` to the last byte; answers the filler file."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def spooled_points(spool_dir: Path) -> int:
    """Points held in every spool session under ``spool_dir``."""
    from kuro.client._spool import Spool

    return sum(
        spool.header(seq)["n_points"]
        for spool in Spool.sessions(spool_dir)
        for seq in spool.pending()
    )


def all_points(api: kuro.Api, group: str) -> dict[tuple[int, str], tuple[list, list]]:
    """(trial id, metric) -> (steps, values) of every trial of a group, at full fidelity."""
    ids = [t["id"] for t in api.trials(group)]
    return {
        (h["trial_id"], name): (s["steps"], s["values"])
        for h in api.history(ids)
        for name, s in h["metrics"].items()
    }


class FakeServer:
    """Just enough of the API for unit tests, as an ``httpx.MockTransport`` handler; it
    records every request and can be told to fail (``down``) like an unreachable server.
    With ``clock`` set, it answers a ``Date`` header that many seconds off this machine's."""

    def __init__(self, modes: dict[str, str] | None = None) -> None:
        self.modes = dict(modes or {})
        self.requests: list[tuple[str, str, Any]] = []
        self.down = False
        self.trials = 0
        self.clock: float | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]

    def bodies(self, path: str) -> list[Any]:
        return [body for _, p, body in self.requests if p == path]

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self._handle(request)
        if self.clock is not None:
            response.headers["Date"] = email.utils.formatdate(time.time() + self.clock, usegmt=True)
        return response

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path.removeprefix("/api/v1")
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, path, body))
        if path == "/experiments":
            return httpx.Response(
                200, json={"id": 1, "metric_modes": self.modes, "n_trials_started": 0}
            )
        if path == "/experiments/1/trials":
            self.trials += 1
            trial = {"id": self.trials, "number": self.trials - 1, "summaries": {}}
            return httpx.Response(200, json={"trial": trial, "reason": None})
        if path == "/metrics":
            known = self.modes.setdefault(body["name"], body["mode"] or "max")
            if body["mode"] and body["mode"] != known:
                error = {"error": "mode_conflict", "message": "other mode", "detail": {}}
                return httpx.Response(409, json=error)
            return httpx.Response(200, json={**body, "mode": known})
        if path == "/points":
            n = sum(len(s["steps"]) for s in body["series"])
            return httpx.Response(200, json={"n_points": n, "duplicate": False})
        return httpx.Response(200, json={"id": 1})
