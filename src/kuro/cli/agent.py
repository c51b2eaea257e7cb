"""``kuro agent``: ask the server for work, run a command for each trial, report how it ended.

    kuro agent --sweep 3 [--count 10] -- python train.py
    kuro agent --group guesser -- python train.py --epochs 5

Each trial's hyper-parameters reach the command as ``--key value`` arguments and as the
environment (``KURO_TRIAL_ID``, ``KURO_HYPER_PARAMETERS`` as JSON, ``KURO_SERVER``,
``KURO_WORKER``); training code picks the trial up with ``kuro.Trial.current()`` or the usual
``Worker(...).experiment(...).trial()``. While the command runs the agent renews the trial's
lease; on Linux the command dies with the agent, even a SIGKILLed one, so that its work
never runs twice once the lease expires. A command that exits 0 completes the trial (unless
it ended the trial itself); any other exit fails it with the exit status and the tail of its
output. The command's whole output (stdout and stderr) is kept with its trial, sent as it
comes through a spool like a worker's points (a server outage loses none of it; ``kuro
sync`` uploads what an agent could not); past ``KURO_OUTPUT_MAX_CHARS`` (set it as on the
server; 4,000,000 by default) the agent holds back all but the tail, sent at the end, and
the server keeps the head and the tail, the cut marked. With nothing (left) to run, the
agent says why: a finished sweep, an empty queue, or no such group (then it exits 1).

First SIGINT/SIGTERM: finish the current trial, then exit. Second: stop the command, end
the trial as failed and queue its work again, then exit.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kuro.core.errors import Conflict, KuroError, LeaseLost, TransportError

if TYPE_CHECKING:  # the client is imported when an agent starts, not with every command
    from kuro.client._output import OutputBuffer
    from kuro.client._sender import Sender
    from kuro.client._transport import HttpTransport

__all__ = ["Agent", "register"]

_TAIL_LINES = 60
_OUTPUT_EVERY = 1.0  # seconds between two sends of the command's output
_FLUSH_TIMEOUT = 30.0  # seconds given to the output's delivery at a trial's end


def register(commands: Any) -> None:
    agent = commands.add_parser(
        "agent",
        help="run a command for each trial the server hands out",
        description=__doc__.split("\n\n")[0],
    )
    source = agent.add_mutually_exclusive_group(required=True)
    source.add_argument("--sweep", type=int, help="take work from this sweep")
    source.add_argument("--group", help="take queued work of this group")
    agent.add_argument("--count", type=int, help="stop after this many trials")
    agent.add_argument("--worker", help="worker name (default: hostname-pid)")
    agent.add_argument("--server", help="default: KURO_SERVER or http://localhost:8000")
    agent.add_argument(
        "--heartbeat", type=float, default=10.0, help="seconds between lease renewals"
    )
    agent.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="when the queue is empty, poll for this many seconds before exiting",
    )
    agent.add_argument("command", nargs=argparse.REMAINDER, help="-- the command to run")
    agent.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("kuro agent: give the command to run after --", file=sys.stderr)
        return 2
    agent = Agent(
        command,
        sweep=args.sweep,
        group=args.group,
        worker=args.worker or f"{socket.gethostname()}-{os.getpid()}",
        server=args.server,
        heartbeat=args.heartbeat,
        wait=args.wait,
    )
    return agent.loop(count=args.count)


def arguments(hyper_parameters: dict[str, Any]) -> list[str]:
    """``--key value`` for each hyper-parameter; lists and objects as JSON, booleans as
    ``true``/``false``."""
    out = []
    for key, value in hyper_parameters.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (dict, list)) or value is None:
            text = json.dumps(value)
        else:
            text = str(value)
        out += [f"--{key}", text]
    return out


class Agent:
    """The loop behind ``kuro agent``; one trial at a time."""

    def __init__(
        self,
        command: list[str],
        *,
        sweep: int | None,
        group: str | None,
        worker: str,
        server: str | None = None,
        heartbeat: float = 10.0,
        wait: float = 0.0,
    ) -> None:
        from kuro.client._config import AGENT_RETRY, server_url
        from kuro.client._output import output_limit
        from kuro.client._transport import HttpTransport

        self.command = command
        self.sweep = sweep
        self.group = group
        self.worker = worker
        self.server = server_url(server)
        self.transport = HttpTransport(self.server)
        self.retry = AGENT_RETRY
        self.heartbeat = heartbeat
        self.wait = wait
        self.signals = 0
        self.child: subprocess.Popen | None = None
        self.reason: str | None = None  # why the last claim got no trial
        self.output = _output_sender(self.transport, self.server, worker)
        self.output_limit = output_limit()

    # Signals -----------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signals += 1
        name = signal.Signals(signum).name
        if self.signals == 1:
            print(
                f"kuro agent: {name}: finishing the current trial, then exiting "
                "(again to stop now)",
                file=sys.stderr,
                flush=True,
            )
        elif self.child is not None and self.child.poll() is None:
            print(f"kuro agent: {name}: stopping the command now", file=sys.stderr, flush=True)
            _stop(self.child)

    # The loop ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return self.retry.call(lambda: self.transport.call(method, path, body))

    def claim(self) -> dict[str, Any] | None:
        """The next trial, or None (``reason`` then says why: ``queue_empty`` or
        ``sweep_finished``)."""
        body = {"worker": self.worker, "group": self.group, "sweep": self.sweep}
        deadline = time.monotonic() + self.wait
        while True:
            answer = self._call("POST", "/work", body)
            self.reason = answer.get("reason")
            if answer["trial"] is not None or self.reason == "sweep_finished":
                return answer["trial"]
            if time.monotonic() >= deadline or self.signals:
                return None
            time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))

    def loop(self, count: int | None = None) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        ended: collections.Counter[str] = collections.Counter()
        why = None
        try:
            while not self.signals and (count is None or ended.total() < count):
                trial = self.claim()
                if trial is None:
                    why = self.why_nothing()
                    break
                ended[self.run_trial(trial)] += 1
        except KuroError as exc:
            print(f"kuro agent: {exc.message}", file=sys.stderr)
            return 1
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            self.output.close(_FLUSH_TIMEOUT)  # closes the transport too
        print(f"kuro agent: {_tally(ended)}", file=sys.stderr)
        if why is not None:
            print(f"kuro agent: {why[1]}", file=sys.stderr)
            return why[0]
        return 0

    def why_nothing(self) -> tuple[int, str]:
        """Why there is no work (the exit status and the words): a finished sweep, an
        unknown group, or an empty queue."""
        if self.sweep is not None:
            if self.reason == "sweep_finished":
                return 0, f"sweep {self.sweep} is finished: nothing left to run"
            return 0, (
                f"sweep {self.sweep} has no trial to run now (the rest are running "
                "elsewhere); --wait SECONDS polls for longer"
            )
        groups = {g["name"] for g in self._call("GET", "/groups")}
        if self.group not in groups:
            return 1, f"no group named {self.group!r} on {self.server}"
        group = {"group": self.group}
        status = self.retry.call(lambda: self.transport.call("GET", "/queue", params=group))
        counts = ", ".join(f"{n} {s}" for s, n in sorted(status["counts"].items()))
        return 0, (
            f"the queue of group {self.group!r} is empty"
            + (f" ({counts})" if counts else " (nothing was queued: kuro queue add)")
        )

    def run_trial(self, trial: dict[str, Any]) -> str:
        """Run the command for one trial; answers how it ended (complete, failed, pruned,
        lost)."""
        hp = trial["hyper_parameters"]
        env = {
            **os.environ,
            "KURO_TRIAL_ID": str(trial["id"]),
            "KURO_HYPER_PARAMETERS": json.dumps(hp),
            "KURO_SERVER": self.server,
            "KURO_WORKER": self.worker,
            "KURO_CAPTURE_OUTPUT": "0",  # the agent keeps the output: once is enough
        }
        print(
            f"kuro agent: trial {trial['id']} of {trial['identifier']!r} {json.dumps(hp)}",
            file=sys.stderr,
            flush=True,
        )
        tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
        self.child = subprocess.Popen(
            [*self.command, *arguments(hp)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # our signals are ours; the child is stopped on purpose
            preexec_fn=_die_with_parent(os.getpid()),
        )
        lost = threading.Event()
        beating = threading.Thread(
            target=self._beat, args=(trial["id"], lost), name="kuro-agent-heartbeat", daemon=True
        )
        beating.start()
        from kuro.client._output import OutputBuffer

        output = OutputBuffer(session=f"agent-{uuid.uuid4().hex[:12]}", limit=self.output_limit)
        shipping = threading.Thread(
            target=self._ship_output,
            args=(trial["id"], output, lost),
            name="kuro-agent-output",
            daemon=True,
        )
        shipping.start()
        assert self.child.stdout is not None
        for line in self.child.stdout:
            sys.stdout.write(line)
            tail.append(line)
            output.write(line)
        code = self.child.wait()
        sys.stdout.flush()
        self.child = None
        lost.set()
        beating.join()
        shipping.join()
        self._queue_output(trial["id"], output, end=True)
        self.output.flush(_FLUSH_TIMEOUT)  # the output before the end, unless the server is away
        if self.signals >= 2:
            return self._end(
                trial,
                "failed",
                f"stopped by the agent's second signal\n{''.join(tail)}",
                requeue=True,
            )
        if code == 0:
            return self._end(trial, "complete", "")
        return self._end(trial, "failed", f"command exited with status {code}\n{''.join(tail)}")

    def _queue_output(self, trial_id: int, output: OutputBuffer, end: bool = False) -> None:
        from kuro.client._spool import Op
        from kuro.client._transport import dumps

        bodies = output.pieces(trial_id)
        if end:
            bodies += output.held(trial_id)  # the tail of an output over the limit
        for body in bodies:
            self.output.put(Op("output", "POST", f"/trials/{trial_id}/output", dumps(body)))

    def _ship_output(self, trial_id: int, output: OutputBuffer, stop: threading.Event) -> None:
        """Queue the command's output every ``_OUTPUT_EVERY`` s while it runs; the sender's
        thread spools and delivers it."""
        while not stop.wait(_OUTPUT_EVERY):
            self._queue_output(trial_id, output)

    def _beat(self, trial_id: int, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat):
            try:
                self.transport.call("POST", f"/trials/{trial_id}/heartbeat", {})
            except LeaseLost:
                print(f"kuro agent: trial {trial_id} was lost (lease expired)", file=sys.stderr)
                return
            except (TransportError, KuroError):
                continue  # the next beat may pass; the lease outlives a few misses

    def _end(self, trial: dict[str, Any], status: str, error: str, requeue: bool = False) -> str:
        body = {"status": status, "error": error[-65536:], "requeue": requeue}
        try:
            ended = self._call("POST", f"/trials/{trial['id']}/end", body)
        except LeaseLost:
            print(f"kuro agent: trial {trial['id']} was lost before it ended", file=sys.stderr)
            return "lost"
        except Conflict as exc:  # the training code ended it itself (pruned, failed...)
            return str((exc.detail or {}).get("status", status))
        return str(ended["status"])


def _output_sender(transport: HttpTransport, server: str, worker: str) -> Sender:
    """The background sender of the commands' output: spooled (``KURO_SPOOL_DIR``), so what
    the server cannot take now is delivered later, or by ``kuro sync``."""
    from kuro.client._sender import Sender
    from kuro.client._spool import Spool

    spool = Spool(meta={"server": server, "mode": "online", "worker": worker})
    sender = Sender(transport, spool)
    sender.start()
    return sender


def _tally(ended: collections.Counter[str]) -> str:
    """``16 trials run: 7 complete, 9 pruned, 0 failed`` (lost ones too, when any)."""
    parts = [f"{ended[s]} {s}" for s in ("complete", "pruned", "failed")]
    parts += [f"{n} {s}" for s, n in sorted(ended.items()) if s not in _TALLIED]
    return f"{ended.total()} trials run: {', '.join(parts)}"


_TALLIED = ("complete", "pruned", "failed")
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """What the command's process runs before it starts (Linux): the kernel SIGKILLs it
    when the agent dies, even by SIGKILL, so its work never runs twice once the lease
    expires and the trial is queued again. None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None

    def arm() -> None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the agent died before the signal was armed
            os._exit(1)

    return arm


def _stop(child: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the command's process group, then SIGKILL it after ``grace`` seconds."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
