"""The client never loses a point: a real server killed, down, a process exiting early, a
lost answer, offline runs. Every point is checked, value and step."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest

import kuro
from kuro.client._sync import sync
from tests.client.helpers import all_points, run_kuro, run_python

pytestmark = pytest.mark.live

N_KILLED = 200_000


def _value(step: int) -> float:
    return step * 0.5 + 0.25


def test_server_killed_mid_logging_every_point_arrives_once(fresh_kuro, make_worker, caplog):
    """SIGKILL in the middle of 200,000 points, restart 3 s later: all arrive, exactly once."""
    caplog.set_level(logging.WARNING, logger="kuro")
    worker = make_worker(fresh_kuro.url, flush_timeout=120)
    trial = worker.experiment("faults", "killed", n_trials=1).trial()
    killed = threading.Event()

    def kill_and_restart() -> None:
        fresh_kuro.kill()
        killed.set()
        time.sleep(3)
        fresh_kuro.start()

    restarter = threading.Thread(target=kill_and_restart)
    for step in range(N_KILLED):
        trial.report_metric("loss", _value(step))
        if step == N_KILLED // 3:
            restarter.start()
        if step % 1000 == 0:
            time.sleep(0.001)  # a training step takes time; the kill lands mid-stream
    trial.end()
    restarter.join()
    assert killed.is_set()
    assert worker.flush(120)
    with kuro.Api(fresh_kuro.url) as api:
        history = api.history([trial.id])[0]["metrics"]["loss"]
        detail = api.trial(trial.id)
    assert history["count"] == N_KILLED
    assert history["steps"] == list(range(N_KILLED))
    assert history["values"] == [_value(s) for s in range(N_KILLED)]
    assert detail["status"] == "complete"
    # The summary kept on write agrees with the points, after the kill and the resends.
    assert detail["summaries"]["loss"] == {
        "best": _value(0),
        "last": _value(N_KILLED - 1),
        "last_step": N_KILLED - 1,
        "count": N_KILLED,
    }
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot reach the server" in m for m in messages) == 1
    assert sum("server is back" in m for m in messages) == 1


def test_server_down_when_the_program_starts(fresh_kuro, make_worker, group):
    """Started while the server is down, a program runs from the spool and delivers later."""
    fresh_kuro.stop()
    worker = make_worker(fresh_kuro.url, flush_timeout=60)
    experiment = worker.experiment(group, "down", metrics=["acc"], n_trials=2)
    trial = experiment.trial()
    assert trial is not None and trial.id is None  # made without the server
    for step in range(1000):
        trial.report_metric("acc", step / 1000)
    trial.report_metric("speed", 3.0, mode="max")
    trial.end()
    fresh_kuro.start()
    assert worker.flush(60)
    assert trial.id is not None
    with kuro.Api(fresh_kuro.url) as api:
        [row] = api.trials(group)
        points = all_points(api, group)
        assert api.metrics(group) == {"acc": "max", "speed": "max"}
    assert row["id"] == trial.id and row["status"] == "complete"
    assert points[(trial.id, "acc")] == (list(range(1000)), [s / 1000 for s in range(1000)])
    assert points[(trial.id, "speed")] == ([0], [3.0])


PROGRAM = """
import sys
from kuro import Worker
worker = Worker("exiting", sys.argv[1])
experiment = worker.experiment(sys.argv[2], "exit", n_trials=1)
trial = experiment.trial()
for step in range(5000):
    trial.report_metric("loss", step * 2.0)
trial.end()
"""


def test_exit_with_points_unsent_then_kuro_sync(fresh_kuro, spool_dir, group):
    """A program exits while the server is down: one line says to run ``kuro sync``, which
    uploads everything."""
    with httpx.Client() as http:  # the experiment and trial exist; then the server goes away
        http.post(
            f"{fresh_kuro.url}/api/v1/experiments",
            json={"group": group, "identifier": "exit", "n_trials": 1},
        ).raise_for_status()
    fresh_kuro.stop()
    env = {"KURO_FLUSH_TIMEOUT": "1", "KURO_SPOOL_DIR": str(spool_dir)}
    result = run_python(PROGRAM, env, fresh_kuro.url, group)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "kuro sync" in line]
    assert "5,000 points" in line and str(spool_dir) in line
    fresh_kuro.start()
    synced = run_kuro({"KURO_SPOOL_DIR": str(spool_dir)}, "sync", "--server", fresh_kuro.url)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "sent 5,000 points" in synced.stdout
    assert not any(spool_dir.iterdir())
    with kuro.Api(fresh_kuro.url) as api:
        [row] = api.trials(group)
        points = all_points(api, group)
    assert row["status"] == "complete" and row["worker"] == "exiting"
    assert points == {(row["id"], "loss"): (list(range(5000)), [s * 2.0 for s in range(5000)])}


OFFLINE = """
import sys
from kuro import Worker
worker = Worker(sys.argv[2])
experiment = worker.experiment(sys.argv[1], "offline", metrics=[("acc", "max")],
                               hyper_parameters={"lr": 0.1}, n_trials=3)
for n in range(5):
    trial = experiment.trial()
    if trial is None:
        print("none")
        continue
    with trial:
        for step in range(100):
            trial.report_metric("acc", n + step / 100)
        trial.report_metric("loss", float("nan"))
    print("trial", trial.id)
"""


def test_offline_round_trip(live_kuro, spool_dir, group, api):
    """Offline, nothing contacts the server; ``kuro sync`` replays workers, experiments,
    trials and points, and stores the trials beyond n_trials too, marked extra."""
    env = {"KURO_MODE": "offline", "KURO_SERVER": "http://127.0.0.1:9"}
    first = run_python(OFFLINE, env, group, "online-worker")
    assert first.returncode == 0, first.stderr
    assert first.stdout.split("\n")[:5] == ["trial None"] * 3 + ["none", "none"]
    assert "offline mode" in first.stderr and "kuro sync" in first.stderr
    with pytest.raises(kuro.NotFound):
        api.trials(group)  # nothing reached the server
    second = run_python(OFFLINE, env, group, "other-worker")  # another machine, also offline
    assert second.returncode == 0, second.stderr
    synced = run_kuro({}, "sync", "--server", live_kuro.url)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "sent 606 points" in synced.stdout
    assert "6 trials (3 beyond n_trials, marked extra)" in synced.stdout
    trials = api.trials(group)
    assert sorted(t["extra"] for t in trials) == [False] * 3 + [True] * 3
    assert {t["status"] for t in trials} == {"complete"}
    assert {t["worker"] for t in trials} == {"online-worker", "other-worker"}
    points = all_points(api, group)
    for t in trials:
        steps, values = points[(t["id"], "acc")]
        assert steps == list(range(100))
        n = int(values[0])
        assert values == [n + s / 100 for s in range(100)]
        assert points[(t["id"], "loss")][1][0] != points[(t["id"], "loss")][1][0]  # NaN kept
    assert api._get("/workers/online-worker")["cpu"]


class _LoseFirstAnswer(httpx.BaseTransport):
    """Delivers each request, but loses the answer of the first ``POST /points``."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.points_requests: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/points"):
            self.points_requests.append(request.read())
            if len(self.points_requests) == 1:
                response.read()
                response.close()
                raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_batch_resent_after_lost_answer_is_applied_once(live_kuro, make_worker, group, api):
    """The same batch id goes out again after a lost answer; the server applies it once."""
    lossy = _LoseFirstAnswer()
    worker = make_worker(live_kuro.url, transport=lossy)
    trial = worker.experiment(group, "lossy", n_trials=1).trial()
    for step in range(100):
        trial.report_metric("loss", float(step), step=step)
    assert worker.flush(30)
    first, again = lossy.points_requests[:2]
    assert first == again  # the very same batch, same batch_id
    with httpx.Client() as http:
        answer = http.post(f"{live_kuro.url}/api/v1/points", content=first).json()
    assert (answer["n_points"], answer["duplicate"]) == (0, True)
    history = api.history([trial.id])[0]["metrics"]["loss"]
    assert history["steps"] == list(range(100)) and history["count"] == 100


def test_offline_trials_beyond_n_trials_are_marked_extra(live_kuro, make_worker, group, api):
    """A trial made offline when the experiment filled up meanwhile is stored, marked extra."""
    offline = make_worker(live_kuro.url, mode="offline")
    offline.experiment(group, "full", n_trials=1).trial().end()
    offline.close()
    online = make_worker(live_kuro.url)
    online.experiment(group, "full", n_trials=1).trial().end()
    assert online.flush()
    report = sync(server=live_kuro.url)
    assert (report.trials, report.extra_trials) == (1, 1)
    trials = api.trials(group)
    assert [t["extra"] for t in trials] == [False, True]
    assert api.experiments(group)[0]["n_trials"] == 1
