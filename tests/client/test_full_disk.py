"""A spool that cannot be written (a full disk) never reaches the training loop: with the
server up it costs only durability; with the server down too, points beyond max_pending
are dropped and counted (at exit and on the trial's end), or ``on_full="block"`` waits."""

from __future__ import annotations

import errno
import logging
import re
import threading
import time

import pytest

import kuro
from kuro.client._sender import Sender
from kuro.client._spool import Op, Spool
from kuro.client._transport import HttpTransport, dumps
from tests.client.helpers import fill, run_python, spooled_points

N = 500_000


def _dropped_at_exit(err: str) -> int:
    match = re.search(r"kuro: ([\d,]+) points were dropped", err)
    assert match, err
    return int(match.group(1).replace(",", ""))


def _kuro_warnings(caplog, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records)


def test_spool_write_failure_leaves_no_partial_file(tiny_disk):
    """A write the disk refuses raises OSError and leaves nothing half-written behind."""
    spool = Spool(tiny_disk / "spool", meta={"server": "http://kuro.test"})
    spool.append(Op("worker", "POST", "/workers", b"{}"))
    fill(tiny_disk)
    op = Op("points", "POST", "/points", b"x" * 100_000, n_points=1)
    with pytest.raises(OSError):
        spool.append(op)
    assert op.seq == 2  # numbered all the same, to be written later in its place
    assert sorted(p.name for p in spool.path.iterdir()) == ["000000000001.op", "lock", "meta.json"]


def test_no_batch_is_lost_uncounted_when_the_spool_refuses_writes(
    fake, spool_dir, monkeypatch, testing
):
    """Disk and server down: memory keeps max_pending points, the rest is dropped and
    counted; back up, the kept points arrive and the trial's end says how many were not."""
    sender = Sender(
        HttpTransport("http://kuro.test", transport=fake.transport()),
        Spool(spool_dir),
        batch_size=100,
        max_pending=1000,
    )

    def full(self, op):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Spool, "write", full)
    fake.down = True
    sender.queue.append((1, "loss", 0, 0.0, 0.0))
    assert not sender.flush(0.1) and sender.down
    for step in range(1, 5001):
        sender.queue.append((1, "loss", step, float(step), 0.0))
    end = {"status": "complete", "error": ""}
    sender.put(Op("end", "POST", "/trials/1/end", dumps(end), extra={"trial": 1}))
    assert not sender.flush(0.1)  # nothing raised
    assert sender.overflow.dropped > 0
    assert sender.overflow.dropped + sender.pending_points() == 5001
    fake.down = False
    assert not sender.flush(5)  # delivered, but not every point: some were dropped
    steps = [step for b in fake.bodies("/points") for s in b["series"] for step in s["steps"]]
    assert len(steps) == 5001 - sender.overflow.dropped and steps == sorted(steps)
    [ended] = fake.bodies("/trials/1/end")
    assert ended["error"] == (
        f"kuro: {sender.overflow.dropped:,} points were dropped: the spool disk was full while "
        "the server was down"
    )
    sender.close(timeout=0)


TRAINING = f"""
import kuro
worker = kuro.Worker("w")
trial = worker.experiment("g", "m", metrics=["loss"]).trial()
for step in range({N}):
    trial.report_metric("loss", float(step))
trial.end()
print("training done")
"""


def test_full_disk_and_server_down_never_reach_the_training_loop(tiny_disk):
    """500,000 reports, spool on a 1 MiB disk, server unreachable, default settings: the
    program trains to the end; at exit one line gives the exact number dropped, and with
    the points the spool kept that is every point. No traceback, no atexit error."""
    spool = tiny_disk / "spool"
    env = {
        "KURO_SERVER": "http://127.0.0.1:9",
        "KURO_SPOOL_DIR": str(spool),
        "KURO_FLUSH_TIMEOUT": "0.5",
    }
    result = run_python(TRAINING, env)
    assert result.returncode == 0 and result.stdout == "training done\n", result.stderr
    kept = spooled_points(spool)
    dropped = _dropped_at_exit(result.stderr)
    print(f"full disk, server down, defaults: kept {kept:,} on disk, dropped {dropped:,}")
    assert kept > 0 and dropped > 0 and kept + dropped == N
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr
    assert result.stderr.count("cannot write the spool") == 1


@pytest.mark.live
def test_full_disk_with_the_server_up_costs_only_durability(
    make_worker, live_kuro, tiny_disk, group, caplog
):
    """A spool that cannot be written at all: the experiment, the trial and every point
    still reach the server, sent from memory, with one warning."""
    caplog.set_level(logging.WARNING, logger="kuro")
    fill(tiny_disk)
    worker = make_worker(live_kuro.url, spool_dir=tiny_disk / "spool")
    with worker.experiment(group, "m", metrics=["loss"]).trial() as trial:
        for step in range(50_000):
            trial.report_metric("loss", float(step))
    assert worker.flush(60)
    with kuro.Api(live_kuro.url) as api:
        series = api.history([trial.id])[0]["metrics"]["loss"]
    assert series["count"] == 50_000 and series["steps"] == list(range(50_000))
    assert _kuro_warnings(caplog, "cannot write the spool") == 1


@pytest.mark.live
def test_points_dropped_while_the_server_was_down_are_recorded_on_the_trial(
    make_worker, fresh_kuro, tiny_disk, group, caplog
):
    """Full disk, server killed: past max_pending points are dropped, with one warning;
    once it is back, the trial's end carries the exact count, and the kept points arrive."""
    caplog.set_level(logging.WARNING, logger="kuro")
    fill(tiny_disk)
    worker = make_worker(
        fresh_kuro.url, spool_dir=tiny_disk / "spool", max_pending=20_000, flush_timeout=60
    )
    trial = worker.experiment(group, "m", metrics=["loss"]).trial()
    fresh_kuro.kill()
    for step in range(100_000):
        trial.report_metric("loss", float(step))
        if step % 1000 == 0:
            time.sleep(0.001)
    fresh_kuro.start()
    trial.end()
    worker.flush(60)
    dropped = worker.session.sender.overflow.dropped
    assert 0 < dropped < 100_000
    with kuro.Api(fresh_kuro.url) as api:
        series = api.history([trial.id])[0]["metrics"]["loss"]
        detail = api.trial(trial.id)
    assert series["count"] == 100_000 - dropped
    assert detail["status"] == "complete"
    assert f"kuro: {dropped:,} points were dropped" in detail["error"]
    assert _kuro_warnings(caplog, "dropping points") == 1


@pytest.mark.live
def test_on_full_block_waits_for_the_server_and_loses_nothing(
    make_worker, fresh_kuro, tiny_disk, group
):
    """With on_full="block", report_metric waits while memory is full and the server
    down, and every point arrives once it is back."""
    fill(tiny_disk)
    worker = make_worker(
        fresh_kuro.url,
        spool_dir=tiny_disk / "spool",
        max_pending=20_000,
        on_full="block",
        flush_timeout=60,
    )
    trial = worker.experiment(group, "m", metrics=["loss"]).trial()
    fresh_kuro.kill()

    def restart() -> None:
        time.sleep(3)
        fresh_kuro.start()

    restarter = threading.Thread(target=restart)
    restarter.start()
    started = time.monotonic()
    for step in range(100_000):
        trial.report_metric("loss", float(step))
    elapsed = time.monotonic() - started
    trial.end()
    restarter.join()
    assert worker.flush(60)
    sender = worker.session.sender
    print(f"block: report loop {elapsed:.1f} s, waited {sender.blocked_seconds:.1f} s")
    assert sender.overflow.dropped == 0 and sender.blocked_seconds > 1
    with kuro.Api(fresh_kuro.url) as api:
        series = api.history([trial.id])[0]["metrics"]["loss"]
    assert series["count"] == 100_000 and series["steps"] == list(range(100_000))


def test_on_full_is_drop_or_block(monkeypatch):
    """KURO_ON_FULL takes 'drop' or 'block'; anything else is refused at once."""
    monkeypatch.setenv("KURO_ON_FULL", "wait")
    with pytest.raises(kuro.InvalidInput) as caught:
        kuro.Worker("w", "http://kuro.test")
    assert caught.value.field == "on_full"
