"""``kuro agent`` against a real server: many agents drain a queue exactly once, a killed
agent's work is re-queued and finished by another, a sweep survives a server restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from kuro.cli.agent import arguments

KURO = str(Path(sys.executable).with_name("kuro"))

# The training command: reads its trial from the environment, reports one point, and
# records each run it made in a file (to count runs per trial).
TRAIN = textwrap.dedent(
    """
    import json, os, sys, time, httpx
    trial = int(os.environ["KURO_TRIAL_ID"])
    hp = json.loads(os.environ["KURO_HYPER_PARAMETERS"])
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    assert args["--i"] == str(hp["i"]), (args, hp)
    with open(os.environ["RUNS_FILE"], "a") as f:
        f.write(f"{trial}\\n")
    time.sleep(float(os.environ.get("TRAIN_SECONDS", "0")))
    httpx.post(os.environ["KURO_SERVER"] + "/api/v1/points", json={"points": [
        {"trial_id": trial, "metric": "loss", "step": 0, "value": hp["i"]}]}).raise_for_status()
    """
)


def _agent(server, *args, env=None, **popen):
    return subprocess.Popen(
        [KURO, "agent", "--server", server.url, *args, "--", sys.executable, "-c", TRAIN],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _finish(agent, timeout=120):
    """Wait for an agent; its exit status and what it said on stderr."""
    _, err = agent.communicate(timeout=timeout)
    return agent.returncode, err


def _api(server):
    return httpx.Client(base_url=f"{server.url}/api/v1", timeout=60)


def test_arguments_are_flags():
    """Hyper-parameters become --key value pairs; structures as JSON."""
    assert arguments({"lr": 0.1, "layers": [64, 64], "amp": True}) == [
        "--lr",
        "0.1",
        "--layers",
        "[64, 64]",
        "--amp",
        "true",
    ]


def test_eight_agents_drain_80_trials_exactly_once(fresh_kuro, tmp_path):
    """Each of 80 queued trials runs exactly once; none is lost; the counts add up (ten
    an agent on average, each a process of its own: enough for the agents to race)."""
    runs = tmp_path / "runs.txt"
    with _api(fresh_kuro) as api:
        queued = api.post(
            "/queue",
            json={
                "group": "drain",
                "identifier": "m",
                "grid": {"i": list(range(40))},
                "n_trials": 2,
            },
        )
        assert queued.json()["queued"] == 80
    agents = [
        _agent(fresh_kuro, "--group", "drain", env={"RUNS_FILE": str(runs)}) for _ in range(8)
    ]
    for agent in agents:
        code, err = _finish(agent, 240)
        assert code == 0, err
    ran = [int(x) for x in runs.read_text().split()]
    assert len(ran) == 80 and len(set(ran)) == 80
    with _api(fresh_kuro) as api:
        status = api.get("/queue", params={"group": "drain"}).json()
        group = api.get("/experiments", params={"group": "drain"}).json()
    assert status["counts"] == {"complete": 80}
    trials = [t for e in group["experiments"] for t in e["trials"]]
    assert sorted(t["id"] for t in trials) == sorted(ran)
    assert all(t["summaries"]["loss"]["count"] == 1 for t in trials)


def test_killed_agent_work_is_requeued_and_its_late_writes_refused(fresh_kuro, tmp_path):
    """SIGKILL mid-trial: after the lease the trial is re-queued, another agent completes it,
    and the killed attempt's writes are refused."""
    runs = tmp_path / "runs.txt"
    with _api(fresh_kuro) as api:
        api.post(
            "/queue",
            json={"group": "kill", "identifier": "m", "grid": {"i": [7]}, "lease_seconds": 2},
        )
    doomed = _agent(
        fresh_kuro,
        "--group",
        "kill",
        "--heartbeat",
        "0.5",
        env={"RUNS_FILE": str(runs), "TRAIN_SECONDS": "60"},
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not (runs.exists() and runs.read_text().strip()):
        assert time.monotonic() < deadline, "the first agent never started its trial"
        time.sleep(0.1)
    first = int(runs.read_text().split()[0])
    os.killpg(doomed.pid, signal.SIGKILL)  # the agent and its training command
    _finish(doomed)
    time.sleep(2.5)  # the lease runs out
    rescuer = _agent(fresh_kuro, "--group", "kill", env={"RUNS_FILE": str(runs)})
    code, err = _finish(rescuer, 120)
    assert code == 0, err
    second = int(runs.read_text().split()[1])
    assert second != first
    with _api(fresh_kuro) as api:
        late = api.post(
            "/points",
            json={"points": [{"trial_id": first, "metric": "loss", "step": 1, "value": 99}]},
        )
        assert late.status_code == 409 and late.json()["error"] == "lease_lost"
        assert api.post(f"/trials/{first}/end", json={"status": "complete"}).status_code == 409
        old, new = api.get(f"/trials/{first}").json(), api.get(f"/trials/{second}").json()
    assert (old["status"], new["status"], new["attempt"]) == ("lost", "complete", 1)
    assert new["summaries"]["loss"] == {"best": 7.0, "last": 7.0, "last_step": 0, "count": 1}


def test_sweep_continues_after_a_server_restart(fresh_kuro, tmp_path):
    """Half a sweep, a server restart (SIGKILL), the other half: the sweep goes on where it
    was, proposing exactly what the same sweep proposes without a restart."""
    runs = tmp_path / "runs.txt"
    env = {"RUNS_FILE": str(runs)}
    spec = {
        "identifier": "m",
        "objective": "loss",
        "max_configs": 6,
        "sampler": "tpe",
        "seed": 3,
        "space": {"i": {"type": "int", "low": 0, "high": 1000}},
    }
    with _api(fresh_kuro) as api:
        steady = api.post("/sweeps", json={**spec, "group": "steady"}).json()
        restarted = api.post("/sweeps", json={**spec, "group": "restarted"}).json()
    code, err = _finish(_agent(fresh_kuro, "--sweep", str(steady["id"]), env=env))
    assert code == 0, err
    code, err = _finish(
        _agent(fresh_kuro, "--sweep", str(restarted["id"]), "--count", "3", env=env)
    )
    assert code == 0, err
    fresh_kuro.kill()
    fresh_kuro.start()
    code, err = _finish(_agent(fresh_kuro, "--sweep", str(restarted["id"]), env=env))
    assert code == 0, err
    with _api(fresh_kuro) as api:
        a = api.get(f"/sweeps/{steady['id']}").json()
        b = api.get(f"/sweeps/{restarted['id']}").json()
    for detail in (a, b):
        assert detail["status"] == "finished" and detail["status_counts"] == {"complete": 6}
        assert [c["number"] for c in detail["configs"]] == list(range(6))
    assert [c["params"] for c in b["configs"]] == [c["params"] for c in a["configs"]]
    assert b["best"]["value"] == min(c["params"]["i"] for c in b["configs"])


def test_first_signal_finishes_the_trial_second_requeues(fresh_kuro, tmp_path):
    """SIGTERM once: the running trial completes, then the agent exits; twice: the trial is
    failed and queued again."""
    runs = tmp_path / "runs.txt"
    with _api(fresh_kuro) as api:
        api.post("/queue", json={"group": "sig", "identifier": "m", "grid": {"i": [1, 2, 3]}})
    env = {"RUNS_FILE": str(runs), "TRAIN_SECONDS": "2"}
    gentle = _agent(fresh_kuro, "--group", "sig", env=env)
    while not (runs.exists() and runs.read_text().strip()):
        time.sleep(0.05)
    gentle.send_signal(signal.SIGTERM)
    assert _finish(gentle, 60)[0] == 0
    with _api(fresh_kuro) as api:
        assert api.get("/queue", params={"group": "sig"}).json()["counts"] == {
            "complete": 1,
            "queued": 2,
        }
    runs.write_text("")
    env["TRAIN_SECONDS"] = "60"
    hasty = _agent(fresh_kuro, "--group", "sig", env=env)
    while not runs.read_text().strip():
        time.sleep(0.05)
    hasty.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    hasty.send_signal(signal.SIGTERM)
    assert _finish(hasty, 60)[0] == 0
    with _api(fresh_kuro) as api:
        counts = api.get("/queue", params={"group": "sig"}).json()["counts"]
        stopped = api.get(f"/trials/{runs.read_text().split()[0]}").json()
    assert counts == {"complete": 1, "failed": 1, "queued": 2}
    assert stopped["status"] == "failed" and "second signal" in stopped["error"]


@pytest.mark.parametrize("code", [3])
def test_failing_command_fails_the_trial_with_its_output(fresh_kuro, tmp_path, code):
    """A command that exits non-zero fails its trial with the status and its output's tail."""
    with _api(fresh_kuro) as api:
        api.post("/queue", json={"group": "bad", "identifier": "m"})
    agent = subprocess.run(
        [
            KURO,
            "agent",
            "--server",
            fresh_kuro.url,
            "--group",
            "bad",
            "--",
            sys.executable,
            "-c",
            f"print('diverged at epoch 3'); raise SystemExit({code})",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert agent.returncode == 0 and "1 failed" in agent.stderr
    with _api(fresh_kuro) as api:
        group = api.get("/experiments", params={"group": "bad"}).json()
    [trial] = group["experiments"][0]["trials"]
    assert trial["status"] == "failed"
    assert f"status {code}" in trial["error"] and "diverged at epoch 3" in trial["error"]


def _gone(pid: int) -> bool:
    """The process exited (reaped, or a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line for line in f)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_command_dies_with_a_sigkilled_agent(fresh_kuro, tmp_path):
    """SIGKILL the agent alone: its command is gone within a few seconds, so the work never
    runs twice once the lease expires."""
    pid_file = tmp_path / "pid"
    with _api(fresh_kuro) as api:
        api.post("/queue", json={"group": "orphan", "identifier": "m"})
    agent = subprocess.Popen(
        [
            KURO,
            "agent",
            "--server",
            fresh_kuro.url,
            "--group",
            "orphan",
            "--",
            sys.executable,
            "-c",
            f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
            "time.sleep(120)",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.1)
    child = int(pid_file.read_text())
    agent.kill()
    agent.wait(10)
    deadline = time.monotonic() + 5
    while not _gone(child):
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            pytest.fail("the command outlived its agent")
        time.sleep(0.1)


PYTHON_C = (sys.executable, "-c")


def test_pruned_trials_are_counted_apart_from_failed(fresh_kuro):
    """A command that ends its own trial as pruned counts as pruned, not failed."""
    with _api(fresh_kuro) as api:
        api.post("/queue", json={"group": "prunes", "identifier": "m", "grid": {"i": [1, 2]}})
    prune = (
        "import os, httpx; t = os.environ['KURO_TRIAL_ID']; "
        "httpx.post(os.environ['KURO_SERVER'] + f'/api/v1/trials/{t}/end', "
        "json={'status': 'pruned'}).raise_for_status()"
    )
    agent = subprocess.run(
        [KURO, "agent", "--server", fresh_kuro.url, "--group", "prunes", "--", *PYTHON_C, prune],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert agent.returncode == 0, agent.stderr
    assert "2 trials run: 0 complete, 2 pruned, 0 failed" in agent.stderr


def test_nothing_to_do_says_why(fresh_kuro):
    """An empty queue, an unknown group and a finished sweep each say so."""
    with _api(fresh_kuro) as api:
        api.post("/queue", json={"group": "done", "identifier": "m"})
        trial = api.post("/work", json={"worker": "w", "group": "done"}).json()["trial"]
        api.post(f"/trials/{trial['id']}/end", json={"status": "complete"})
        sweep = api.post(
            "/sweeps",
            json={
                "group": "swept",
                "identifier": "m",
                "objective": "loss",
                "mode": "min",
                "sampler": "grid",
                "space": {"i": {"type": "categorical", "choices": [1]}},
            },
        ).json()
        trial = api.post("/work", json={"worker": "w", "sweep": sweep["id"]}).json()["trial"]
        api.post(f"/trials/{trial['id']}/end", json={"status": "complete"})

    def agent(*source: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [KURO, "agent", "--server", fresh_kuro.url, *source, "--", sys.executable, "-c", ""],
            capture_output=True,
            text=True,
            timeout=120,
        )

    empty = agent("--group", "done")
    assert (
        empty.returncode == 0 and "the queue of group 'done' is empty (1 complete)" in empty.stderr
    )
    unknown = agent("--group", "dnoe")
    assert unknown.returncode == 1 and "no group named 'dnoe'" in unknown.stderr
    finished = agent("--sweep", str(sweep["id"]))
    assert finished.returncode == 0 and f"sweep {sweep['id']} is finished" in finished.stderr
