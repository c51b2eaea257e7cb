"""Client fixtures: workers against the session's live server, each test in its own group
and spool, and helpers to run programs as users do (a subprocess, then ``kuro sync``)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import kuro
from kuro.client import set_testing
from kuro.server.testing import LiveServer
from tests.client.helpers import FakeServer


@pytest.fixture(autouse=True)
def spool_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test spools into its own directory, never the user's home."""
    path = tmp_path / "spool"
    monkeypatch.setenv("KURO_SPOOL_DIR", str(path))
    monkeypatch.delenv("KURO_MODE", raising=False)
    monkeypatch.delenv("KURO_SERVER", raising=False)
    return path


@pytest.fixture
def group() -> str:
    """A group name of this test's own on the shared server."""
    return f"g-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def make_worker(spool_dir: Path) -> Iterator[Callable[..., kuro.Worker]]:
    """``make_worker(server_url, name=..., **options)``; every worker is closed afterwards."""
    made: list[kuro.Worker] = []

    def make(server: str, name: str | None = None, **options) -> kuro.Worker:
        options.setdefault("flush_timeout", 30)
        worker = kuro.Worker(name or f"w-{uuid.uuid4().hex[:6]}", server, **options)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()


@pytest.fixture
def worker(make_worker, live_kuro: LiveServer) -> kuro.Worker:
    return make_worker(live_kuro.url)


@pytest.fixture
def api(live_kuro: LiveServer) -> Iterator[kuro.Api]:
    with kuro.Api(live_kuro.url) as client:
        yield client


@pytest.fixture
def testing() -> Iterator[None]:
    """The client's testing switch: no retries, no background thread."""
    set_testing(True)
    yield
    set_testing(False)


@pytest.fixture
def fake() -> FakeServer:
    return FakeServer({"acc": "max", "loss": "min"})


@pytest.fixture
def fake_worker(make_worker, fake: FakeServer, testing) -> kuro.Worker:
    """A worker on the fake server, in testing mode."""
    return make_worker("http://kuro.test", transport=fake.transport())


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A file system of about 1 MiB of this test's own: tmpfs, else a loop-mounted ext4
    image; always unmounted afterwards. Skipped only when neither can be mounted (mounting
    needs root, as in CI)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    why = []
    for command in _tiny_mounts(tmp_path, mount):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 0 and command[0] == "mount":
            break
        if result.returncode != 0:
            why.append(f"{' '.join(command[:3])}: {result.stderr.strip()}")
    else:
        pytest.skip("no small file system could be mounted: " + "; ".join(why))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _tiny_mounts(tmp_path: Path, mount: Path) -> list[list[str]]:
    commands = [["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", str(mount)]]
    if shutil.which("mkfs.ext4"):
        image = tmp_path / "tiny.img"
        commands += [
            ["truncate", "-s", "2M", str(image)],
            ["mkfs.ext4", "-q", "-F", "-b", "1024", "-N", "256", str(image)],
            ["mount", "-o", "loop", str(image), str(mount)],
        ]
    return commands
