"""Memory per request is bounded: an oversized batch of points is refused from its length,
before the server reads or parses it."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from werkzeug.test import EnvironBuilder

RSS_BOUND = 600 * 1024 * 1024  # master and workers together, while 8 oversized bodies arrive
BODY_POINTS = 7_000_000  # one series: '0,' per step and '1,' per value, ~28 MB of JSON


def _oversized_body() -> bytes:
    steps = b",".join(b"0" for _ in range(BODY_POINTS))
    values = b",".join(b"1" for _ in range(BODY_POINTS))
    return (
        b'{"series": [{"trial_id": 1, "metric": "loss", "steps": [' + steps + b'], "values": ['
        + values + b"]}]}"
    )  # fmt: skip


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_eight_parallel_oversized_batches_keep_rss_bounded(fresh_kuro):
    """8 x 28 MB batches at once: each a 413 naming the body, the server's RSS stays under
    600 MB (how long the refusals take is printed, not asserted: this machine is shared)."""
    body = _oversized_body()
    assert len(body) > 25_000_000
    peak = [_tree_rss(fresh_kuro.process.pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(_tree_rss(fresh_kuro.process.pid))
            time.sleep(0.05)

    def post(_: int) -> tuple[int, float, str]:
        started = time.monotonic()
        r = httpx.post(
            f"{fresh_kuro.url}/api/v1/points",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        return r.status_code, time.monotonic() - started, r.json()["detail"]["field"]

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, range(8)))
    finally:
        done.set()
        sampler.join()
    assert {(status, field) for status, _, field in answers} == {(413, "body")}, answers
    assert max(peak) < RSS_BOUND, f"peak RSS {max(peak) / 2**20:.0f} MB"
    print(f"peak RSS {max(peak) / 2**20:.0f} MB; slowest 413 {max(s for _, s, _ in answers):.2f} s")


@pytest.mark.django_db
def test_a_chunked_oversized_batch_is_refused_while_read(settings):
    """Without a Content-Length the body is read only up to the limit, then a 413."""
    from kuro.server.wsgi import application

    settings.KURO_POINTS_BODY_BYTES = 1000
    read = [0]

    class Endless:
        def read(self, n: int = -1) -> bytes:
            read[0] += n
            return b"x" * n

    environ = EnvironBuilder(path="/api/v1/points", method="POST").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = Endless()
    answered = []
    body = b"".join(application(environ, lambda status, headers: answered.append(status)))
    assert answered == ["413 Request Entity Too Large"], body
    assert json.loads(body)["detail"]["limit"] == 1000
    assert read[0] == 1001  # one byte past the limit, never the rest


@pytest.mark.django_db
def test_a_batch_within_the_body_bound_still_works(settings, api, trial):
    """A 50,000-point batch the client sends (80 bytes a point at most) fits the bound."""
    steps = list(range(10**15, 10**15 + 50_000))
    status, answer = api.post(
        "/points",
        {"series": [{"trial_id": trial["id"], "metric": "loss", "steps": steps,
                     "values": [0.123456789012345 + i for i in range(50_000)],
                     "times": [1732812345.123456 + i for i in range(50_000)]}]},
    )  # fmt: skip
    assert status == 200, answer
    assert settings.KURO_POINTS_BODY_BYTES >= 50_000 * 80
