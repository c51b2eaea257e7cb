"""Trials held by real client processes against a real server: two live processes with one
worker name never share a trial; a SIGKILLed process's trial is lost within its lease."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kuro.server.testing import LiveServer, scratch_database

pytestmark = pytest.mark.live

LEASE = 3

# Acquire a trial as worker 'nibel', say which, then hold it until told to end it.
HOLDER = """
import pathlib, sys, time
import kuro
here = pathlib.Path(sys.argv[1])
worker = kuro.Worker("nibel")
trial = worker.experiment("same-name", "model", n_trials=2, metrics=["acc"]).trial()
trial.report_metric("acc", 0.5)
assert worker.flush(30)
(here / f"trial-{trial.id}").write_text(str(trial.id))
while not (here / "go").exists():
    time.sleep(0.05)
trial.report_metric("acc", 0.75)
trial.end()
worker.close()
"""


@pytest.fixture
def short_lease(tmp_path) -> Iterator[LiveServer]:
    """A server of this test's own whose leases last LEASE seconds."""
    base = os.environ.get("KURO_DATABASE_URL")
    url, drop = scratch_database(base) if base else (None, lambda: None)
    server = LiveServer(
        tmp_path / "server", database_url=url, extra_env={"KURO_LEASE_SECONDS": str(LEASE)}
    )
    server.start()
    yield server
    server.stop()
    drop()


def _start(code: str, server: str, spool: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "KURO_SERVER": server, "KURO_SPOOL_DIR": str(spool)}
    env.pop("KURO_MODE", None)
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_two_processes_with_one_worker_name_get_their_own_trials(live_kuro, tmp_path):
    """Worker('nibel') started twice at once: trials 0 and 1, each with its own points."""
    spool = tmp_path / "spool"
    procs = [_start(HOLDER, live_kuro.url, spool, str(tmp_path)) for _ in range(2)]
    try:
        _wait_for(
            lambda: (
                len(list(tmp_path.glob("trial-*"))) == 2 or any(p.poll() is not None for p in procs)
            ),
            60,
            "both processes to hold a trial",
        )
        (tmp_path / "go").touch()
        for p in procs:
            _, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    ids = sorted(int(p.name.split("-")[1]) for p in tmp_path.glob("trial-*"))
    assert len(ids) == 2
    with httpx.Client(base_url=f"{live_kuro.url}/api/v1", timeout=30) as http:
        trials = [http.get(f"/trials/{i}").json() for i in ids]
        history = http.get("/history", params={"trial_ids": ",".join(map(str, ids))}).json()
    assert sorted(t["number"] for t in trials) == [0, 1]
    assert [t["status"] for t in trials] == ["complete", "complete"]
    assert [h["metrics"]["acc"]["values"] for h in history] == [[0.5, 0.75], [0.5, 0.75]]


KILLED = """
import sys, time
import kuro
worker = kuro.Worker("crasher")
trial = worker.experiment("crashes", "model", n_trials=1, metrics=["acc"]).trial()
trial.report_metric("acc", 0.5)
assert worker.flush(30)
print(trial.id, flush=True)
time.sleep(600)
"""


def test_a_sigkilled_process_trial_is_lost_within_its_lease(short_lease, tmp_path):
    """SIGKILL a process holding a plain trial: with no other client active, the trial
    reads lost within lease + 5 s, and its slot is free for the next trial."""
    proc = _start(KILLED, short_lease.url, tmp_path / "spool")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip().isdigit(), proc.stderr.read() if proc.poll() is not None else line
        trial_id = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    killed = time.monotonic()
    with httpx.Client(base_url=f"{short_lease.url}/api/v1", timeout=30) as http:
        while (status := http.get(f"/trials/{trial_id}").json()["status"]) == "running":
            assert time.monotonic() - killed < LEASE + 5, "still running past lease + 5 s"
            time.sleep(0.5)
        assert status == "lost"
        trial = http.get(f"/trials/{trial_id}").json()
        assert "lease" in trial["error"]
        experiment_id = trial["experiment_id"]
        again = http.post(f"/experiments/{experiment_id}/trials", json={"worker": "crasher"})
        assert again.json()["trial"]["number"] == 1
