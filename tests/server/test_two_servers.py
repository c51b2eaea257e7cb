"""Two ``kuro server`` processes (different ports) on one database behave as one: client
writers and ``kuro agent`` workers spread over both store every point once, run every
queued trial exactly once, and leave the summaries right. The database is the suite's:
a PostgreSQL database of the test's own when ``KURO_DATABASE_URL`` is set, else one
SQLite file both servers open."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import kuro
from kuro.server.testing import LiveServer, scratch_database

# One pytest-xdist worker runs this module, so its module-scoped servers start once.
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("test_two_servers")]

KURO = str(Path(sys.executable).with_name("kuro"))
WRITERS, TRIALS_EACH, STEPS = 6, 2, 300
AGENT_STEPS = 40

# The training command an agent runs: the original API, which adopts the agent's trial.
TRAIN = textwrap.dedent(
    """
    import json, os, kuro
    hp = json.loads(os.environ["KURO_HYPER_PARAMETERS"])
    trial = kuro.Trial.current()
    with open(os.environ["RUNS_FILE"], "a") as f:
        f.write(f"{trial.id} {os.environ['KURO_SERVER']}\\n")
    for step in range(int(os.environ["AGENT_STEPS"])):
        trial.report_metric("loss", hp["i"] + step / 100)
    """
)


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers on one database (and one data directory, so one secret key), shared by
    this module's tests, each in groups of its own."""
    base = os.environ.get("KURO_DATABASE_URL")
    url, drop = scratch_database(base) if base else (None, lambda: None)
    data = tmp_path_factory.mktemp("two-servers")
    servers = (LiveServer(data, database_url=url), LiveServer(data, database_url=url))
    for n, server in enumerate(servers):
        server.log = data / f"server-{n}.log"
    try:
        for server in servers:  # one after the other: the first one migrates
            server.start()
        assert servers[0].port != servers[1].port
        yield servers
    finally:
        for server in servers:
            server.stop()
        drop()


def _value(number: int, metric: str, step: int) -> float:
    return number * 1000 + step / 7 if metric == "loss" else 1 - step / (number + 3)


def _write(server: LiveServer, group: str, n: int, spool: Path) -> list[int]:
    """One writer: two trials of the shared experiment, two metrics, small batches."""
    worker = kuro.Worker(
        f"writer-{n}", server.url, spool_dir=spool, batch_size=64, flush_timeout=60
    )
    experiment = worker.experiment(
        group, "shared", metrics=["loss", "acc"], n_trials=WRITERS * TRIALS_EACH
    )
    ids = []
    for _ in range(TRIALS_EACH):
        trial = experiment.trial()
        assert trial is not None
        for step in range(STEPS):
            trial.report_metric("loss", _value(trial.number, "loss", step), step=step)
            trial.report_metric("acc", _value(trial.number, "acc", step), step=step)
        trial.end()
        assert worker.flush(60)
        assert trial.id is not None
        ids.append(trial.id)
    worker.close()
    return ids


def _check_written(api: kuro.Api, numbers: dict[int, int]) -> None:
    """Each trial of ``numbers`` (trial id -> the number its values were made from, as
    ``_write`` makes them) holds every step once with its value, and the right summary."""
    for h in api.history(list(numbers)):
        summaries = api.trial(h["trial_id"])["summaries"]
        assert sorted(h["metrics"]) == sorted(summaries)
        for metric, s in h["metrics"].items():
            values = [_value(numbers[h["trial_id"]], metric, step) for step in range(STEPS)]
            assert s["steps"] == list(range(STEPS)) and s["values"] == values
            best = min(values) if metric == "loss" else max(values)
            assert summaries[metric] == {
                "best": best,
                "last": values[-1],
                "last_step": STEPS - 1,
                "count": STEPS,
            }


def test_writers_on_two_servers_store_every_point_once(two_servers, tmp_path):
    """Six writers, three on each server, sharing one experiment: exactly its 12 trials,
    numbered once each, every point stored once with its value, summaries right."""
    group = f"two-{uuid.uuid4().hex[:6]}"
    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [
            pool.submit(_write, two_servers[n % 2], group, n, tmp_path / f"spool-{n}")
            for n in range(WRITERS)
        ]
        ids = [i for f in futures for i in f.result()]
    assert len(ids) == len(set(ids)) == WRITERS * TRIALS_EACH
    for server in two_servers:  # each server reads what both wrote
        with kuro.Api(server.url) as api:
            [experiment] = api.experiments(group)
            trials = experiment["trials"]
            assert sorted(t["id"] for t in trials) == sorted(ids)
            assert sorted(t["number"] for t in trials) == list(range(len(ids)))
            assert all(t["status"] == "complete" for t in trials)
            _check_written(api, {t["id"]: t["number"] for t in trials})


def test_a_batch_sent_to_both_servers_is_applied_once(two_servers):
    """The same batch (one batch_id) posted to both servers at once: one applies it, the
    other answers it is a duplicate; the trial holds its points once."""
    a, b = two_servers
    with httpx.Client(base_url=f"{a.url}/api/v1", timeout=60) as http:
        group = f"dup-{uuid.uuid4().hex[:6]}"
        body = {"group": group, "identifier": "m", "n_trials": 1, "metrics": [{"name": "loss"}]}
        e = http.post("/experiments", json=body).raise_for_status().json()
        answer = http.post(f"/experiments/{e['id']}/trials", json={"worker": "dup"})
        trial_id = answer.raise_for_status().json()["trial"]["id"]
    batches = [
        {
            "batch_id": uuid.uuid4().hex,
            "series": [
                {
                    "trial_id": trial_id,
                    "metric": "loss",
                    "steps": list(range(k * 100, k * 100 + 100)),
                    "values": [float(k)] * 100,
                }
            ],
        }
        for k in range(10)
    ]
    start = threading.Barrier(2)

    def post_all(server: LiveServer) -> list[bool]:
        with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as http:
            start.wait()
            return [
                http.post("/points", json=body).raise_for_status().json()["duplicate"]
                for body in batches
            ]

    with ThreadPoolExecutor(2) as pool:
        on_a, on_b = pool.map(post_all, (a, b))
    assert [sorted(pair) for pair in zip(on_a, on_b, strict=True)] == [[False, True]] * 10
    with kuro.Api(b.url) as api:
        summary = api.trial(trial_id)["summaries"]["loss"]
        [h] = api.history([trial_id])
    assert summary["count"] == 1000 and summary["last"] == 9.0 and summary["last_step"] == 999
    assert h["metrics"]["loss"]["steps"] == list(range(1000))


def _agents(servers: list[LiveServer], group: str, tmp_path: Path) -> Callable[[], list[str]]:
    """A ``kuro agent`` of ``group`` on each of ``servers``; the function returned waits
    for them all to end (each must succeed) and answers what they ran: a "trial server"
    line per run."""
    runs = tmp_path / "runs.txt"
    env = {
        **os.environ,
        "RUNS_FILE": str(runs),
        "AGENT_STEPS": str(AGENT_STEPS),
        "KURO_SPOOL_DIR": str(tmp_path / "agent-spool"),
    }
    command, train = [KURO, "agent"], [sys.executable, "-c", TRAIN]
    agents = [
        subprocess.Popen(
            [*command, "--server", server.url, "--group", group, "--", *train],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for server in servers
    ]

    def wait() -> list[str]:
        try:
            for agent in agents:
                _, err = agent.communicate(timeout=300)
                assert agent.returncode == 0, err
        finally:  # none outlives the test, whatever failed
            for agent in agents:
                if agent.poll() is None:
                    agent.kill()
                    agent.wait()
        return runs.read_text().splitlines()

    return wait


def test_agents_on_two_servers_run_each_queued_trial_once(two_servers, tmp_path):
    """Four agents, two on each server, drain 24 queued trials: each runs exactly once,
    both servers hand out work, and each trial's points and summary are there."""
    a, b = two_servers
    group = f"agents-{uuid.uuid4().hex[:6]}"
    with kuro.Api(a.url) as api:
        queued = api.enqueue(group, "m", grid={"i": list(range(12))}, n_trials=2)
    assert queued["queued"] == 24
    wait = _agents([a, b, a, b], group, tmp_path)
    lines = [line.split() for line in wait()]
    ran = Counter(int(trial) for trial, _ in lines)
    assert len(ran) == 24 and set(ran.values()) == {1}, ran
    assert {server for _, server in lines} == {a.url, b.url}
    with kuro.Api(b.url) as api:
        assert api.queue_status(group)["counts"] == {"complete": 24}
        trials = api.trials(group)
        assert sorted(t["id"] for t in trials) == sorted(ran)
        for t in trials:
            i = t["hyper_parameters"]["i"]
            assert t["summaries"]["loss"] == {
                "best": float(i),
                "last": i + (AGENT_STEPS - 1) / 100,
                "last_step": AGENT_STEPS - 1,
                "count": AGENT_STEPS,
            }, t
        history = api.history(sorted(ran), metrics=["loss"])
    assert all(h["metrics"]["loss"]["steps"] == list(range(AGENT_STEPS)) for h in history)


def _alternate(servers: tuple[LiveServer, LiveServer], group: str) -> int:
    """A trial whose batches go to one server, then the other, in turn (a client whose
    load balancer moves it): steps in order, one batch of 50 at a time."""
    with httpx.Client(base_url=f"{servers[0].url}/api/v1", timeout=60) as http:
        body = {"group": group, "identifier": "moved", "n_trials": 1, "metrics": [{"name": "loss"}]}
        e = http.post("/experiments", json=body).raise_for_status().json()
        answer = http.post(f"/experiments/{e['id']}/trials", json={"worker": "moved"})
        trial_id = answer.raise_for_status().json()["trial"]["id"]
    clients = [httpx.Client(base_url=f"{s.url}/api/v1", timeout=60) for s in servers]
    try:
        for k in range(STEPS // 50):
            steps = list(range(k * 50, k * 50 + 50))
            series = {"trial_id": trial_id, "metric": "loss", "steps": steps}
            series["values"] = [_value(0, "loss", s) for s in steps]
            batch = {"batch_id": uuid.uuid4().hex, "series": [series]}
            clients[k % 2].post("/points", json=batch).raise_for_status()
        done = {"status": "complete"}
        clients[1].post(f"/trials/{trial_id}/end", json=done).raise_for_status()
    finally:
        for client in clients:
            client.close()
    return trial_id


def test_writers_and_agents_at_once_over_both_servers(two_servers, tmp_path):
    """All at once: four writers (two a server), two agents (one a server) draining a
    queue, and a trial whose batches alternate between the servers. Every queued trial
    runs once, every point is stored once with its value, and the summaries are right."""
    a, b = two_servers
    group = f"mixed-{uuid.uuid4().hex[:6]}"
    with kuro.Api(a.url) as api:
        queued = api.enqueue(f"{group}-queue", "m", grid={"i": list(range(6))}, n_trials=2)
    assert queued["queued"] == 12
    wait = _agents([a, b], f"{group}-queue", tmp_path)
    try:
        with ThreadPoolExecutor(5) as pool:
            writers = [
                pool.submit(_write, two_servers[n % 2], group, n, tmp_path / f"spool-{n}")
                for n in range(4)
            ]
            moved = pool.submit(_alternate, two_servers, group)
            ids = [i for f in writers for i in f.result()]
            moved_id = moved.result()
    finally:
        lines = wait()  # the agents end (or are ended) whatever the writers did
    ran = Counter(int(line.split()[0]) for line in lines)
    assert len(ran) == 12 and set(ran.values()) == {1}, ran
    with kuro.Api(b.url) as api:
        assert api.queue_status(f"{group}-queue")["counts"] == {"complete": 12}
        for t in api.trials(f"{group}-queue"):
            assert t["summaries"]["loss"]["count"] == AGENT_STEPS, t
        experiments = {e["identifier"]: e for e in api.experiments(group)}
        shared = {t["id"]: t for t in experiments["shared"]["trials"]}
        assert [t["id"] for t in experiments["moved"]["trials"]] == [moved_id]
        assert len(ids) == len(set(ids)) == 4 * TRIALS_EACH and set(ids) <= set(shared)
        _check_written(api, {i: shared[i]["number"] for i in ids} | {moved_id: 0})
