"""``kuro agent`` keeps each command's whole output with its trial: capped per trial with
head and tail kept and the cut marked, and delivered through a spool, so a server that is
down while the command prints loses none of it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kuro.server.testing import LiveServer, scratch_database

KURO = str(Path(sys.executable).with_name("kuro"))
LIMIT = 2_000

pytestmark = pytest.mark.live


@pytest.fixture
def capped_kuro(tmp_path) -> Iterator[LiveServer]:
    """A server of this test's own that keeps ``LIMIT`` characters of output per trial."""
    base = os.environ.get("KURO_DATABASE_URL")
    database_url, drop = scratch_database(base) if base else (None, lambda: None)
    server = LiveServer(
        tmp_path / "server",
        database_url=database_url,
        extra_env={"KURO_OUTPUT_MAX_CHARS": str(LIMIT)},
    )
    server.start()
    yield server
    server.stop()
    drop()


def _agent(
    server: LiveServer, group: str, code: str, tmp_path: Path, **env: str
) -> subprocess.Popen:
    env = {**os.environ, "KURO_SPOOL_DIR": str(tmp_path / "spool"), **env}
    command = [sys.executable, "-u", "-c", textwrap.dedent(code)]
    return subprocess.Popen(
        [KURO, "agent", "--server", server.url, "--group", group, "--", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _only_trial(server: LiveServer, group: str) -> tuple[dict, str]:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as api:
        [trial] = api.get("/experiments", params={"group": group}).json()["experiments"][0][
            "trials"
        ]
        text = api.get(f"/trials/{trial['id']}/output.txt").text
    return trial, text


def _queue(server: LiveServer, group: str) -> None:
    with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as api:
        api.post("/queue", json={"group": group, "identifier": "m"}).raise_for_status()


def test_whole_output_of_a_complete_trial_is_kept(capped_kuro, tmp_path):
    """stdout and stderr of a command that succeeds, all of it, in order; the agent still
    shows it."""
    _queue(capped_kuro, "whole")
    code = """
    import sys
    for i in range(40):
        print(f"line {i}")
        print(f"err {i}", file=sys.stderr)
    """
    out, err = _agent(capped_kuro, "whole", code, tmp_path).communicate(timeout=120)
    assert "1 complete" in err, err
    trial, text = _only_trial(capped_kuro, "whole")
    assert trial["status"] == "complete"
    assert text == "".join(f"line {i}\nerr {i}\n" for i in range(40))
    assert out == text  # the agent passes it through
    assert len(text) < LIMIT


@pytest.mark.parametrize("agent_limit", [None, LIMIT])
def test_long_output_keeps_head_and_tail_with_the_cut_marked(capped_kuro, tmp_path, agent_limit):
    """Past the server's allowance, the first and last halves are kept and the cut between
    them says how much was dropped; the same when the agent, told the limit, sends only
    the head and, at the end, the tail."""
    _queue(capped_kuro, "long")
    env = {} if agent_limit is None else {"KURO_OUTPUT_MAX_CHARS": str(agent_limit)}
    lines = [f"line {i:05d}\n" for i in range(5_000)]  # 55,000 characters
    code = """
    for i in range(5_000):
        print(f"line {i:05d}")
    raise SystemExit(3)
    """
    _, err = _agent(capped_kuro, "long", code, tmp_path, **env).communicate(timeout=120)
    assert "1 failed" in err, err
    trial, text = _only_trial(capped_kuro, "long")
    whole = "".join(lines)
    head, _, tail = text.partition("\n[kuro: ")
    assert head == whole[: LIMIT // 2]
    cut = len(whole) - LIMIT
    assert tail.startswith(f"{cut:,} characters of output were cut here")
    assert tail.endswith("]\n" + whole[-LIMIT // 2 :])
    assert "status 3" in trial["error"] and "line 04999" in trial["error"]


def test_output_printed_while_the_server_is_down_is_kept(capped_kuro, tmp_path):
    """The server dies while the command prints and comes back before it ends: the output
    waited in the agent's spool and is all there."""
    _queue(capped_kuro, "outage")
    started, go = tmp_path / "started", tmp_path / "go"
    code = f"""
    import os, time
    print("before")
    open({str(started)!r}, "w").close()
    while not os.path.exists({str(go)!r}):
        time.sleep(0.05)
    for i in range(20):
        print(f"during {{i}}")
    time.sleep(2)
    """
    agent = _agent(capped_kuro, "outage", code, tmp_path)
    deadline = time.monotonic() + 60
    while not started.exists():
        assert time.monotonic() < deadline and agent.poll() is None
        time.sleep(0.05)
    time.sleep(1.5)  # "before" reaches the server
    capped_kuro.kill()
    go.touch()
    time.sleep(3)  # the command prints into the agent's spool
    spooled = list((tmp_path / "spool").glob("*/*.op"))
    capped_kuro.start()
    _, err = agent.communicate(timeout=180)
    assert "1 complete" in err, err
    assert spooled, "the output was not spooled while the server was down"
    _, text = _only_trial(capped_kuro, "outage")
    assert text == "before\n" + "".join(f"during {i}\n" for i in range(20))
    assert not list((tmp_path / "spool").glob("*/*.op"))  # all delivered
