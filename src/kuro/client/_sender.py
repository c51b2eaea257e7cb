"""The background sender of a worker: queued points become batches, batches go to the spool
and then to the server, in order, over one pooled connection.

The training thread only appends to ``queue`` (a ``collections.deque``: appends and pops
are atomic, no lock on the hot path). One packer at a time, under ``_pack_lock``, drains
the queue into spooled requests (the sender thread, or the training thread itself when the
queue is over ``max_pending``, which bounds memory). The sender thread then delivers the
spooled requests strictly in order; a request leaves the spool only once the server has
answered it, and every points batch carries a ``batch_id``, so a resend is applied once.

Batches are sized to the server's limits, learned from its ``GET /health`` answer by the
sender before its first delivery (``kuro.core.limits.DEFAULTS`` until then, and for a
server that does not state them); a batch still too large is split on delivery.

Point times are the client's clock shifted onto the server's (``Transport.clock_offset``,
measured from the server's answers) when a batch is packed.

A request the spool's disk refuses is held in memory and delivered from there, within
``max_pending`` points, then dropped and counted or waited for (``on_full``): see
``kuro.client._overflow``. No tracking error reaches the training thread.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import uuid
from collections import deque
from typing import Any

from kuro.client._config import (
    BATCH_DELAY,
    BATCH_SIZE,
    DEFAULT_MAX_PENDING,
    DEFAULTS,
    DELIVERY_RETRY,
    PROBE_TIMEOUT,
    batch_points,
    learned_limits,
    spool_root,
)
from kuro.client._delivery import deliver
from kuro.client._overflow import Overflow
from kuro.client._retry import Retry, is_testing
from kuro.client._spool import Key, Op, Spool, is_local
from kuro.client._transport import Transport, dumps
from kuro.core.errors import AuthError, KuroError, TransportError
from kuro.core.values import encode_values

__all__ = ["Sender"]

logger = logging.getLogger("kuro")

_Columns = tuple[list[int], list[float], list[float]]  # steps, values, times of one series

_CACHE_BYTES = 64 * 2**20  # spooled bodies also kept in memory, to send without reading back
_SKEW_WARNING = 60.0  # seconds off the server's clock worth a warning


class Sender:
    """Packs, spools and delivers one worker's requests; see the module docstring."""

    def __init__(
        self,
        transport: Transport,
        spool: Spool,
        *,
        offline: bool = False,
        batch_size: int = BATCH_SIZE,
        batch_delay: float = BATCH_DELAY,
        heartbeat: float = 30.0,
        retry: Retry = DELIVERY_RETRY,
        max_pending: int = DEFAULT_MAX_PENDING,
        on_full: str = "drop",
    ) -> None:
        self.transport = transport
        self.spool = spool
        self.offline = offline
        self.batch_delay = batch_delay
        self.heartbeat = heartbeat
        self.retry = retry
        self.queue: deque[Any] = deque()
        self.running: set[Key] = set()  # trials to heartbeat
        # Trial ids the server's pruner said to stop, from points answers and heartbeats.
        self.prune: set[int] = set()
        self.down = False  # the server failed the last delivery: we are spooling
        self.lost_points = 0  # points of batches the server refused (kept in failed/)
        # Requests the spool's disk refused, delivered from memory; points dropped.
        self.overflow = Overflow(max_pending, on_full)
        self.blocked_seconds = 0.0  # time report_metric waited for room (see make_room)
        self._warned: set[str] = set()
        self._wanted_batch = batch_size
        self.limits: dict[str, int] = dict(DEFAULTS)
        self.batch_size = batch_points(batch_size, self.limits)
        self._limits_learned = False
        self._pack_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._pending: deque[tuple[int, int]] = deque()  # (seq, n_points), oldest first
        self._cache: dict[int, Op] = {}
        self._cache_bytes = 0
        self._wake = threading.Event()
        # Notified by the sender thread whenever a request left ``_pending`` (delivered or
        # given up) or it gave up for now: flush waits on it instead of polling.
        self._progress = threading.Condition()
        self._stopping = threading.Event()
        self._failures = 0
        self._next_try = 0.0
        self._next_heartbeat = time.monotonic() + heartbeat
        self._thread: threading.Thread | None = None
        self.closed = False

    # Producer side (the training thread) -------------------------------------------------

    def put(self, op: Op) -> None:
        """Queue a request, ordered with the points queued before and after it."""
        self.queue.append(op)

    def track(self, trial: Key) -> None:
        """Heartbeat ``trial`` while it runs."""
        self.running.add(trial)

    def untrack(self, trial: Key) -> None:
        self.running.discard(trial)

    def pack(self) -> None:
        """Move every queued item into spooled requests (batches of ``batch_size`` points)."""
        with self._pack_lock:
            queue = self.queue
            left = len(queue)  # only what is there now: the producer may keep appending
            series: dict[tuple[Key, str], _Columns] = {}
            n = 0
            batch_size = self.batch_size
            while left:
                left -= 1
                item = queue.popleft()
                if type(item) is tuple:
                    trial, metric, step, value, moment = item
                    s = series.get((trial, metric))
                    if s is None:
                        s = series[(trial, metric)] = ([], [], [])
                    s[0].append(step)
                    s[1].append(value)
                    s[2].append(moment)
                    n += 1
                    if n >= batch_size:
                        self._spool_points(series, n)
                        series, n = {}, 0
                else:
                    if n:
                        self._spool_points(series, n)
                        series, n = {}, 0
                    if item.kind == "end":
                        item = self.overflow.noted(item)
                    self._spool(item)
            if n:
                self._spool_points(series, n)

    def make_room(self) -> None:
        """The training thread's call once its queue is over ``max_pending``: pack the queue
        at once; then, while more than ``max_pending`` points wait in memory, wait for the
        server or the disk to take them, unless they are to be dropped (``on_full``)."""
        self.pack()
        overflow = self.overflow
        if not overflow.full():
            return
        started = time.monotonic()
        while overflow.full() and not self._stopping.is_set():
            if overflow.on_full == "drop" and self._away():
                break  # from now on pack drops, and counts, what does not fit
            overflow.warn_once(
                "block",
                "kuro: the spool cannot be written (%s) and the server has not taken the "
                "points held in memory yet: report_metric waits for room",
                overflow.disk_error,
            )
            if self._thread is None:
                self._cycle()
            else:
                self._wake.set()
            time.sleep(0.01)
        self.blocked_seconds += time.monotonic() - started

    def _spool_points(self, series: dict[tuple[Key, str], _Columns], n: int) -> None:
        overflow = self.overflow
        if not overflow.disk_ready() and overflow.must_drop(n, server_away=self._away()):
            overflow.drop(_by_trial(series))  # not even encoded: the disk refused just now
            return
        offset = self.transport.clock_offset
        if abs(offset) > _SKEW_WARNING:
            self._warn_once(
                "clock",
                "kuro: this machine's clock is %+.0f s off the server's; point times are "
                "shifted onto the server's clock",
                offset,
            )
        # Values are encoded here, off the training thread, into the wire's strings.
        body = {
            "batch_id": uuid.uuid4().hex,
            "series": [
                {
                    "trial_id": trial,
                    "metric": metric,
                    "steps": s[0],
                    "values": encode_values(s[1]),
                    "times": [t + offset for t in s[2]] if offset else s[2],
                }
                for (trial, metric), s in series.items()
            ],
        }
        refs = any(is_local(trial) for trial, _ in series)
        op = Op("points", "POST", "/points", dumps(body), refs=refs, n_points=n)
        if not self._spool(op, droppable=True):
            overflow.drop(_by_trial(series))

    def _spool(self, op: Op, *, droppable: bool = False) -> bool:
        """Write ``op`` to the spool, else hold it in memory; False (and nothing kept) when
        it is a ``droppable`` batch of points that must be dropped."""
        overflow = self.overflow
        self.spool.number(op)
        if overflow.disk_ready():
            try:
                self.spool.write(op)
            except OSError as exc:
                overflow.disk_refused(exc, self.spool.path)
            else:
                overflow.disk_took()
                self._cache_op(op)
                self._pending.append((op.seq, op.n_points))
                return True
        if droppable and overflow.must_drop(op.n_points, server_away=self._away()):
            return False
        overflow.hold(op)
        self._pending.append((op.seq, op.n_points))
        return True

    def _cache_op(self, op: Op) -> None:
        size = len(op.body)
        if self._cache_bytes + size <= _CACHE_BYTES:
            self._cache[op.seq] = op
            self._cache_bytes += size

    def _away(self) -> bool:
        """Whether the server cannot take anything now (down, or offline mode)."""
        return self.down or self.offline

    def _respool(self, wait: float = -1) -> None:
        """Write the requests held in memory to the spool, in order, as far as the disk
        takes them (none of them is being delivered meanwhile)."""
        overflow = self.overflow
        if not overflow.held or not overflow.disk_ready():
            return
        if not self._send_lock.acquire(timeout=wait):
            return
        try:
            for seq in overflow.in_order():
                op = overflow.held[seq]
                try:
                    self.spool.write(op)
                except OSError as exc:
                    overflow.disk_refused(exc, self.spool.path)
                    return
                overflow.disk_took()
                overflow.release(seq)
                self._cache_op(op)
        finally:
            self._send_lock.release()

    def _warn_once(self, what: str, message: str, *args: object) -> None:
        if what not in self._warned:
            self._warned.add(what)
            logger.warning(message, *args)

    # Delivery ----------------------------------------------------------------------------

    def pending_points(self) -> int:
        """Points queued or spooled and not yet delivered."""
        queued = sum(1 for item in list(self.queue) if type(item) is tuple)
        return queued + sum(n for _, n in list(self._pending))

    def idle(self) -> bool:
        return not self.queue and not self._pending

    def learn_limits(self) -> None:
        """Ask the server for its request limits once, and size batches by them. Unanswered,
        it is asked again next time."""
        if self._limits_learned or self.offline:
            return
        try:
            health = self.transport.request("GET", "/health", timeout=PROBE_TIMEOUT)
        except (TransportError, AuthError):
            return  # not now: the delivery that follows finds out, and says so
        except KuroError:
            health = None  # a server without a health answer: its limits are the defaults
        self.limits = learned_limits(health)
        self.batch_size = batch_points(self._wanted_batch, self.limits)
        self._limits_learned = True

    def send(self, deadline: float | None = None) -> bool:
        """Deliver spooled requests in order; False when the server could not be reached."""
        self.learn_limits()
        with self._send_lock:
            while self._pending:
                if deadline is not None and time.monotonic() > deadline:
                    return False
                seq, _ = self._pending[0]
                held = self.overflow.held.get(seq)
                if held is not None:
                    op = held
                else:
                    cached = self._cache.pop(seq, None)
                    if cached is None:
                        op = self.spool.read(seq)
                    else:
                        op = cached
                        self._cache_bytes -= len(op.body)
                try:
                    answer = deliver(
                        self.transport, self.spool, op, retry=self.retry, sleep=self._pause
                    )
                except (TransportError, AuthError) as exc:  # not now; the request stays
                    if held is None:
                        self._cache[seq] = op
                        self._cache_bytes += len(op.body)
                    if not self._stopping.is_set():
                        self.mark_down(exc)
                    return False
                except KuroError as exc:
                    where = self.spool.fail(seq, exc.to_payload(), op)
                    self.lost_points += op.n_points
                    logger.warning(
                        "kuro: the server refused a %s request (%s: %s); it is kept in %s",
                        op.kind,
                        exc.code,
                        exc.message,
                        where,
                    )
                else:
                    self.spool.remove(seq)
                    if op.kind == "points" and isinstance(answer, dict):
                        self.prune.update(answer.get("prune") or ())
                self.overflow.release(seq)
                self._pending.popleft()
                self._notify()
            self._came_back()
            return True

    def _notify(self) -> None:
        """Wake whoever waits in ``flush`` to look again."""
        with self._progress:
            self._progress.notify_all()

    def _pause(self, seconds: float) -> None:
        """A wait between retries that ends the retries when the sender is stopping."""
        if self._stopping.wait(seconds):
            raise TransportError("the client is closing")

    def mark_down(self, exc: TransportError | AuthError) -> None:
        """The server failed a request: back off, and say once that we are spooling."""
        self._failures += 1
        self._next_try = time.monotonic() + self.retry.wait(self._failures)
        if not self.down:
            self.down = True
            why = (
                "the server refused this client's token (set KURO_TOKEN)"
                if isinstance(exc, AuthError)
                else "cannot reach the server"
            )
            logger.warning(
                "kuro: %s (%s); spooling to %s and retrying in the background",
                why,
                exc.message,
                self.spool.path,
            )

    def _came_back(self) -> None:
        self._failures = 0
        if self.down:
            self.down = False
            logger.warning("kuro: the server is back; sending the spooled points")

    def _probe(self) -> None:
        try:
            self.transport.request("GET", "/health", timeout=PROBE_TIMEOUT)
        except KuroError as exc:
            self.mark_down(exc if isinstance(exc, TransportError) else TransportError(str(exc)))
        else:
            self._came_back()

    def _beat(self) -> None:
        for key in list(self.running):
            ident = self.spool.resolve(key)
            if ident is not None:
                # A missed heartbeat is not worth a word: the next one may pass.
                with contextlib.suppress(KuroError):
                    answer = self.transport.request(
                        "POST", f"/trials/{ident}/heartbeat", timeout=PROBE_TIMEOUT
                    )
                    if isinstance(answer, dict) and answer.get("should_prune"):
                        self.prune.add(ident)

    # The thread --------------------------------------------------------------------------

    def start(self) -> None:
        if is_testing() or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="kuro-sender", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.batch_delay)
            self._wake.clear()
            try:
                self._cycle()
            except Exception:  # a bug must not end delivery, nor reach the training loop
                logger.exception("kuro: the background sender failed; retrying")
                self._stopping.wait(1.0)
            finally:
                self._notify()  # a pack may have dropped points, a send may have failed

    def _cycle(self) -> None:
        if not self.down:
            self.learn_limits()  # before the first pack, so no batch is cut too large
        self.pack()
        self._respool()
        if self.offline:
            return
        now = time.monotonic()
        if now >= self._next_try:
            if self._pending:
                self.send()
            elif self.down:
                self._probe()
        if not self.down and now >= self._next_heartbeat:
            self._next_heartbeat = now + self.heartbeat
            self._beat()

    def flush(self, timeout: float) -> bool:
        """Pack everything queued and wait up to ``timeout`` s for delivery; True when every
        point reported so far is on the server (none of them refused). The wait ends as
        soon as the sender thread says it delivered (or gave up on) the last request: no
        polling."""
        if self._thread is None:
            self.learn_limits()
        self.pack()
        if self.offline:
            return False
        deadline = time.monotonic() + timeout
        self._next_try = 0.0  # try now, whatever the backoff said
        if self._thread is None:
            while self._pending and time.monotonic() < deadline:
                if not self.send(deadline):
                    break
            return self._delivered()
        with self._progress:
            while True:
                self._wake.set()
                now = time.monotonic()
                if self.idle() or now >= deadline:
                    return self._delivered()
                # Woken by the sender thread's progress; after a failed delivery, also when
                # its backoff ends, to wake it for the next try at once.
                wait = deadline - now
                if self._next_try > now:
                    wait = min(wait, self._next_try - now)
                self._progress.wait(wait)

    def _delivered(self) -> bool:
        return self.idle() and not self.lost_points and not self.overflow.dropped

    def close(self, timeout: float) -> None:
        """Flush for up to ``timeout`` s, stop the thread, and say in one line what is left."""
        if self.closed:
            return
        self.closed = True
        delivered = self.flush(timeout)
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if not delivered:
            self.pack()
            self._respool(wait=1.0)  # the last chance of what memory holds: the disk
            self._say_what_is_left(timeout)
        self.spool.close()
        if self._thread is None or not self._thread.is_alive():
            # A thread still inside a request keeps the connection: it dies with the process.
            self.transport.close()

    def _say_what_is_left(self, timeout: float) -> None:
        """At close: one line for what the spool keeps, one for what was dropped."""
        held = self.overflow.held
        on_disk = [(seq, n) for seq, n in self._pending if seq not in held]
        dropped = self.overflow.exit_line(self.spool.path, offline=self.offline)
        if on_disk or not dropped:
            points = sum(n for _, n in on_disk)
            why = (
                "offline mode"
                if self.offline
                else f"the server did not take them within {timeout:g} s"
            )
            command = "kuro sync"
            if self.spool.root != spool_root():
                command += f" --spool-dir {self.spool.root}"
            print(
                f"kuro: {points:,} points ({len(on_disk)} requests) are kept in "
                f"{self.spool.path} ({why}); upload them with: {command}",
                file=sys.stderr,
                flush=True,
            )
        if dropped:
            print(dropped, file=sys.stderr, flush=True)


def _by_trial(series: dict[tuple[Key, str], _Columns]) -> dict[Key, int]:
    """Points of a batch by trial."""
    counts: dict[Key, int] = {}
    for (trial, _), s in series.items():
        counts[trial] = counts.get(trial, 0) + len(s[0])
    return counts
