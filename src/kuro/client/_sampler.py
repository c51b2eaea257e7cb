"""A worker's telemetry: its console output (opt-in) and system samples (CPU, memory, GPUs)
for the trials it runs, kept apart from their metrics.

One background thread, ``kuro-telemetry``, wakes every ``TICK`` seconds: it turns captured
output into ``POST /trials/{id}/output`` requests, takes a system sample every
``interval`` seconds (``KURO_SYSTEM_INTERVAL``, default 5; 0 turns samples off) and sends
the samples every ``SHIP_EVERY`` seconds as ``POST /trials/{id}/system``. Both go through
the session's queue, so they are spooled and delivered in order with the points, and a
server outage loses none of them. A trial that ends first gets its output and samples
(``trial_ending``), before its end.

Output and samples go to every trial the worker runs at the time (usually one); output
written while no trial runs is not kept. Past ``KURO_OUTPUT_MAX_CHARS`` characters of a
trial (as on the server) only the tail is held, and sent at the trial's end. With the run
context off (``KURO_CAPTURE=off``) no sample is taken either. The testing switch
(``set_testing``) starts no thread: tests call ``tick``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from kuro.client._output import OutputBuffer, Tee, output_limit
from kuro.client._retry import is_testing
from kuro.client._spool import Key
from kuro.client._system import SystemProbe
from kuro.core.errors import InvalidInput

if TYPE_CHECKING:
    from kuro.client._session import Session

__all__ = ["DEFAULT_INTERVAL", "SHIP_EVERY", "TICK", "Telemetry", "system_interval"]

logger = logging.getLogger("kuro")

DEFAULT_INTERVAL = 5.0
"""Seconds between system samples unless ``KURO_SYSTEM_INTERVAL`` says otherwise."""
TICK = 1.0
"""Seconds between two looks at the captured output."""
SHIP_EVERY = 30.0
"""Seconds system samples wait to go in one request (a trial's end sends them at once)."""


def system_interval(given: float | None = None) -> float:
    """``given``, else ``KURO_SYSTEM_INTERVAL``, else 5 seconds; 0 means no samples."""
    if given is None:
        text = os.environ.get("KURO_SYSTEM_INTERVAL", "").strip()
        try:
            given = float(text) if text else DEFAULT_INTERVAL
        except ValueError:
            raise InvalidInput(
                f"KURO_SYSTEM_INTERVAL is a number of seconds, not {text!r}",
                field="KURO_SYSTEM_INTERVAL",
            ) from None
    if not given >= 0 or given == float("inf"):
        raise InvalidInput(
            f"the system sampling interval is seconds >= 0, not {given!r}",
            field="system_interval",
        )
    return float(given)


class Telemetry:
    """Output capture and system samples of one worker's session; see the module docstring.

    ``start``, ``trial_ending`` and ``close`` are called from the training thread, ``tick``
    from the telemetry thread (or a test); a lock keeps them from shipping at the same
    time. Nothing happens before ``start``."""

    def __init__(self, session: Session, *, capture_output: bool, interval: float) -> None:
        self.session = session
        self.interval = interval
        self.output = OutputBuffer(limit=output_limit()) if capture_output else None
        self.probe = SystemProbe() if interval > 0 else None
        self._samples: dict[Key, list[dict[str, Any]]] = {}  # not yet sent, by trial
        self._tees: list[Tee] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_sample = 0.0
        self._next_ship = 0.0

    def start(self) -> None:
        if self.output is not None:
            self._tees = Tee.install(self.output)
        now = time.monotonic()
        self._next_sample = now + self.interval
        self._next_ship = now + SHIP_EVERY
        if (self.output is not None or self.probe is not None) and not is_testing():
            self._thread = threading.Thread(target=self._run, name="kuro-telemetry", daemon=True)
            self._thread.start()
        elif self.probe is not None:
            self.probe.sample()  # the reference the first CPU figure is measured from

    def _run(self) -> None:
        if self.probe is not None:
            # The reference of the first CPU figure; NVML starts here, off the training thread.
            with self._lock:
                self.probe.sample()
        while not self._stopping.wait(min(TICK, self.interval or TICK)):
            try:
                self.tick()
            except Exception:  # a bug must not end the thread, nor reach the training loop
                logger.exception("kuro: the telemetry thread failed; going on")

    def _running(self) -> tuple[Key, ...]:
        for _ in range(3):
            try:
                return tuple(self.session.sender.running)
            except RuntimeError:  # the set changed while it was read: read it again
                continue
        return ()

    def tick(self, now: float | None = None) -> None:
        """Queue the output captured so far; sample when due; send samples when due."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._ship_output(self._running())
            if self.probe is not None and now >= self._next_sample:
                self._next_sample = now + self.interval
                self._sample(self._running())
            if now >= self._next_ship:
                self._next_ship = now + SHIP_EVERY
                self._ship_samples(list(self._samples))

    def sample(self) -> None:
        """Take a system sample now for the running trials (queued with the next ship)."""
        with self._lock:
            self._sample(self._running())

    def _sample(self, keys: tuple[Key, ...]) -> None:
        if self.probe is None or not keys:
            return
        values = self.probe.sample()
        if not values:
            return
        sample = {"time": time.time() + self.session.transport.clock_offset, "values": values}
        for key in keys:
            self._samples.setdefault(key, []).append(sample)

    def _ship_output(self, keys: tuple[Key, ...], *, end: bool = False) -> None:
        output = self.output
        if output is None:
            return
        text = output.take()
        for key in keys:
            bodies = output.pieces(key, text=text)
            if end:
                bodies += output.held(key)  # the tail of an output over the limit
            for body in bodies:
                self.session.request("output", "/trials/{}/output", body, key=key)

    def _ship_samples(self, keys: list[Key]) -> None:
        for key in keys:
            samples = self._samples.pop(key, None)
            if samples:
                body = {"samples": samples}
                self.session.request("system", "/trials/{}/system", body, key=key)

    def trial_ending(self, key: Key) -> None:
        """Before trial ``key``'s end is queued: queue its output and samples so far."""
        with self._lock:
            self._ship_output(self._running() or (key,))
            self._ship_output((key,), end=True)
            self._ship_samples([key])

    def close(self) -> None:
        """Stop the thread, queue what is left for the running trials, restore the streams."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        with self._lock:
            self._ship_output(self._running(), end=True)
            self._ship_samples(list(self._samples))
        Tee.uninstall(self._tees)
        self._tees = []
        if self.probe is not None:
            self.probe.close()
