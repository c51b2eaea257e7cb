"""A PostgreSQL restart under a live ``kuro server``: 503 with Retry-After while the
database is away, never a 500, and the server reconnects by itself.

The restarted PostgreSQL is a throwaway instance made here (``initdb`` in a temporary
directory, its own port), never the shared one the rest of the suite uses."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from glob import glob
from pathlib import Path

import httpx
import pytest

from kuro.server.testing import LiveServer, free_port

BINARIES = sorted(glob("/usr/lib/postgresql/*/bin"))


class _Postgres:
    def __init__(self, bin_dir: str) -> None:
        self.bin = Path(bin_dir)
        self.dir = Path(tempfile.mkdtemp(prefix="kuro-pg-"))
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        self.data = self.dir / "data"

    def run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.as_postgres, *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.dir / "log"), "-w", *args,
        )  # fmt: skip

    def create(self) -> str:
        self.run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.ctl("start")
        self.run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "postgres", "kuro")  # fmt: skip
        return f"postgresql://postgres@127.0.0.1:{self.port}/kuro"

    def destroy(self) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
             "immediate", "stop"],
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway(tmp_path) -> Iterator[tuple[_Postgres, LiveServer]]:
    if not BINARIES or (shutil.which("runuser") is None and os.geteuid() == 0):
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed")
    postgres = _Postgres(BINARIES[-1])
    try:
        url = postgres.create()
        server = LiveServer(tmp_path / "data", database_url=url)
        server.start()
        try:
            yield postgres, server
        finally:
            server.stop()
    finally:
        postgres.destroy()


def test_a_database_restart_is_a_503_with_retry_after_then_heals(throwaway):
    """While PostgreSQL is down every answer is a 503 + Retry-After; after, all succeed."""
    postgres, server = throwaway
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        e = http.post("/experiments", json={"group": "g", "identifier": "m", "n_trials": 99})
        trial = http.post(f"/experiments/{e.json()['id']}/trials", json={"worker": "w"}).json()

        def work(i: int) -> httpx.Response:
            if i % 2:
                return http.get("/groups")
            return http.post(
                "/points",
                json={"series": [{"trial_id": trial["trial"]["id"], "metric": "loss",
                                  "steps": [i], "values": [1.0]}]},
            )  # fmt: skip

        with ThreadPoolExecutor(8) as pool:
            assert {r.status_code for r in pool.map(work, range(16))} == {200}
            postgres.ctl("-m", "fast", "stop")
            down = list(pool.map(work, range(16, 48)))
            postgres.ctl("start")
            deadline = time.monotonic() + 30
            while True:
                up = list(pool.map(work, range(48, 64)))
                if {r.status_code for r in up} == {200} or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
    assert {r.status_code for r in down} == {503}, [r.text[:200] for r in down]
    assert all(r.headers.get("Retry-After") and r.json()["error"] == "busy" for r in down)
    assert {r.status_code for r in up} == {200}, [r.text[:200] for r in up]
    assert "Internal Server Error" not in server.log.read_text()
