"""A worker's session: what its experiments and trials share, behind public methods.

One ``Session`` per ``Worker`` holds the transport, the spool and the background sender.
Experiments and trials hold the session, never the worker's internals: they ask it to
``call`` the server (which fails fast while the server is known to be down), to ``put`` a
request in order with the points, to ``resolve`` a key to the server's id, and to heartbeat
a running trial. ``Trial.report_metric`` appends straight to ``queue``, the sender's deque.

The worker ``kuro.Trial.current()`` uses is made once per process and server
(``process_worker``), whatever the number of calls.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kuro.client._config import BATCH_DELAY, BATCH_SIZE, CALL_RETRY, PROBE_TIMEOUT, Config
from kuro.client._sender import Sender
from kuro.client._spool import Key, Op, Spool, is_local, path_to
from kuro.client._transport import Transport, dumps
from kuro.core.errors import TransportError

if TYPE_CHECKING:
    from kuro.client._trial import Trial

__all__ = ["ProcessWorker", "Session", "process_worker", "provide_process_worker"]


class Session:
    """The machinery of one worker. Its methods are called from the training thread; the
    sender's own thread delivers. No I/O before ``start``."""

    def __init__(
        self,
        name: str,
        config: Config,
        transport: Transport,
        *,
        batch_size: int = BATCH_SIZE,
        batch_delay: float = BATCH_DELAY,
    ) -> None:
        self.name = name
        self.config = config
        self.server = config.server
        self.offline = config.offline
        self.flush_timeout = config.flush_timeout
        self.max_pending = config.max_pending
        self.transport = transport
        spool = Spool(
            config.spool_dir,
            meta={"server": config.server, "mode": config.mode, "worker": name},
        )
        self.sender = Sender(
            transport,
            spool,
            offline=config.offline,
            batch_size=batch_size,
            batch_delay=batch_delay,
            heartbeat=config.heartbeat,
            max_pending=config.max_pending,
            on_full=config.on_full,
        )
        self.queue: deque[Any] = self.sender.queue
        """Points and requests in the order they were made; the hot path appends here."""
        self.spill: Callable[[], None] = self.sender.make_room
        """Moves the queue to the spool at once (when it holds over ``max_pending``), and
        waits there under ``on_full="block"`` while memory is full."""

    def start(self, registration: dict[str, Any]) -> None:
        """Queue the worker's registration and start the background sender."""
        self.put(Op("worker", "POST", "/workers", dumps(registration)))
        self.sender.start()

    @property
    def spool(self) -> Spool:
        return self.sender.spool

    @property
    def closed(self) -> bool:
        return self.sender.closed

    @functools.cached_property
    def predecessors(self) -> list[str]:
        """This worker's earlier sessions on this machine whose process died (a crash):
        their running trials are this process's to resume. Read once, at first need."""
        spool = self.spool
        found = Spool.dead_sessions(spool.root, worker=self.name, server=self.server)
        return [name for name in found if name != spool.session][:64]

    # Talking to the server ---------------------------------------------------------------

    @property
    def reachable(self) -> bool:
        """Online, and the server did not fail the last delivery."""
        return not self.offline and not self.sender.down

    def call(self, method: str, path: str, body: Any = None, *, once: bool = False) -> Any:
        """One API call from the user's thread (retried, unless ``once``). ``TransportError``
        at once when offline or when the server is known to be down: the caller then works
        from the spool."""
        if not self.reachable:
            raise TransportError("offline" if self.offline else "the server is down")
        transport = self.transport
        try:
            if once:
                return transport.call(method, path, body, timeout=PROBE_TIMEOUT)
            return CALL_RETRY.call(lambda: transport.call(method, path, body))
        except TransportError as exc:
            self.sender.mark_down(exc)
            raise

    def put(self, op: Op) -> None:
        """Queue ``op``, delivered in order with the points reported before and after it."""
        self.queue.append(op)

    def request(
        self,
        kind: str,
        path: str,
        body: dict[str, Any] | bytes,
        *,
        key: Key | None = None,
        defines: str | None = None,
    ) -> None:
        """``put`` a POST to ``path``. About an experiment or a trial, ``path`` has ``{}``
        for its ``key``, filled in on delivery when ``key`` is a local reference; the answer
        gives the local reference ``defines`` its id. ``body`` may come already encoded."""
        refs = False
        extra: dict[str, Any] = {}
        if key is not None:
            path, refs = path_to(path, key), is_local(key)
            if kind == "end":
                extra["trial"] = key  # the sender notes the trial's dropped points there
        content = body if isinstance(body, bytes) else dumps(body)
        self.put(Op(kind, "POST", path, content, refs=refs, defines=defines, extra=extra))

    def resolve(self, key: Key) -> int | None:
        """The server's id for ``key``; None while it is a local reference not yet delivered."""
        return self.sender.spool.resolve(key)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued is on the server, at most ``timeout`` seconds
        (default ``flush_timeout``)."""
        return self.sender.flush(self.flush_timeout if timeout is None else timeout)

    def close(self) -> None:
        self.sender.close(self.flush_timeout)

    # Running trials ----------------------------------------------------------------------

    def track(self, trial: Key) -> None:
        """Heartbeat ``trial`` in the background while it runs."""
        self.sender.track(trial)

    def untrack(self, trial: Key) -> None:
        self.sender.untrack(trial)

    def should_prune(self, trial: Key) -> bool:
        """Whether the server's pruner said to stop ``trial`` (at the last delivered report
        or heartbeat)."""
        ident = self.resolve(trial)
        return ident is not None and ident in self.sender.prune


# The worker of Trial.current() -----------------------------------------------------------


class ProcessWorker(Protocol):
    """What ``Trial.current()`` needs of a worker."""

    @property
    def closed(self) -> bool: ...

    def claimed(self, trial_id: int) -> Trial: ...


# ``kuro.client._worker`` provides the factory: the worker module builds on trials, so
# trials cannot import it without a cycle.
_factory: Callable[[str, str | None], ProcessWorker] | None = None
_workers: dict[tuple[str, str | None], ProcessWorker] = {}
_lock = threading.Lock()


def provide_process_worker(factory: Callable[[str, str | None], ProcessWorker]) -> None:
    """Set how ``process_worker`` makes a worker from a name and a server."""
    global _factory
    _factory = factory


def process_worker(name: str, server: str | None) -> ProcessWorker:
    """The one worker of this process named ``name`` on ``server``, made on first use and
    made again only once it was closed."""
    with _lock:
        worker = _workers.get((name, server))
        if worker is None or worker.closed:
            if _factory is None:
                raise RuntimeError("kuro.client._worker was not imported")
            worker = _workers[(name, server)] = _factory(name, server)
        return worker
