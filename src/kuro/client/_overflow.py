"""What a worker keeps in memory while its spool's disk refuses writes, and what it drops.

A spool that cannot be written (a full disk, a read-only or over-quota file system) never
reaches the training thread. Each request the disk refuses is *held* here, in order, and
delivered from here; the sender writes it to the spool once the disk takes it again. That
costs only durability: held requests are lost if the process dies, and one warning says so.

Memory is bounded all the same. Once more than ``max_pending`` points are held, and the
server cannot take them either (down, or offline), ``on_full`` decides:

- ``"drop"`` (the default, ``KURO_ON_FULL``): training goes on; the newest batches of
  points are dropped (never another request: an experiment, a trial or its end), counted,
  warned about once, printed at exit with the exact number, and appended to the ``error``
  text of the trial's end (``kuro: 12,345 points were dropped: ...``), where the server
  shows it whatever the trial's status;
- ``"block"``: ``report_metric`` waits until the server or the disk takes them.

Points are dropped whole batches at a time, and every dropped point is counted: nothing
taken from the worker's queue is lost uncounted. Held requests still in memory when the
process exits with the server away are counted as dropped too.

Thread-safe: the packer holds and drops, the sender releases.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from kuro.client._spool import Key, Op
from kuro.client._transport import dumps
from kuro.core.limits import ERROR_TEXT_MAX

__all__ = ["Overflow"]

logger = logging.getLogger("kuro")

DISK_RETRY = 1.0
"""Seconds between attempts to write to a spool that refused a write."""


class Overflow:
    """The requests one worker holds in memory (by ``seq``) and the points it dropped."""

    def __init__(self, max_pending: int, on_full: str = "drop") -> None:
        self.max_pending = max_pending
        self.on_full = on_full
        self.held: dict[int, Op] = {}
        self.points = 0  # points held
        self.dropped = 0  # points dropped (on_full="drop")
        self.disk_error: str | None = None  # why the disk refused the last write
        self._retry_at = 0.0
        self._by_trial: dict[Key, int] = {}  # dropped points not yet noted on a trial's end
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    # The disk ------------------------------------------------------------------------------

    def disk_ready(self) -> bool:
        """Whether to try the disk: it took the last write, or refused it a while ago."""
        return self.disk_error is None or time.monotonic() >= self._retry_at

    def disk_took(self) -> None:
        self.disk_error = None

    def disk_refused(self, exc: OSError, where: Path) -> None:
        self.disk_error = f"{type(exc).__name__}: {exc.strerror or exc}"
        self._retry_at = time.monotonic() + DISK_RETRY
        self.warn_once(
            "disk",
            "kuro: cannot write the spool at %s (%s); requests are kept in memory (up to "
            "max_pending=%s points) and sent from there, but are lost if this process dies",
            where,
            self.disk_error,
            f"{self.max_pending:,}",
        )

    # Holding and dropping ------------------------------------------------------------------

    def full(self) -> bool:
        return self.points > self.max_pending

    def must_drop(self, n: int, *, server_away: bool) -> bool:
        """Whether ``n`` more points that the disk refuses are to be dropped."""
        return self.on_full == "drop" and server_away and self.points + n > self.max_pending

    def hold(self, op: Op) -> None:
        with self._lock:
            self.held[op.seq] = op
            self.points += op.n_points

    def release(self, seq: int) -> None:
        """``seq`` was delivered, refused, or written to the spool: memory lets it go."""
        with self._lock:
            op = self.held.pop(seq, None)
            if op is not None:
                self.points -= op.n_points

    def in_order(self) -> list[int]:
        """The seqs held, oldest first."""
        with self._lock:
            return sorted(self.held)

    def drop(self, by_trial: Mapping[Key, int]) -> None:
        """Count the points of a batch that is dropped: ``by_trial`` trial -> points."""
        n = sum(by_trial.values())
        self.dropped += n
        for trial, count in by_trial.items():
            self._by_trial[trial] = self._by_trial.get(trial, 0) + count
        self.warn_once(
            "drop",
            "kuro: dropping points: the spool cannot be written (%s), the server cannot be "
            "reached and %s points already wait in memory (max_pending); %s dropped so far. "
            "Training goes on; the count is printed at exit and added to the trial's end "
            "(KURO_ON_FULL=block waits instead)",
            self.disk_error,
            f"{self.points:,}",
            f"{self.dropped:,}",
        )

    def noted(self, end: Op) -> Op:
        """A trial's end request, with the count of its dropped points appended to its
        error text (trimmed from the front, as the server keeps the end of the text)."""
        n = self._by_trial.pop(end.extra.get("trial", ""), 0)
        if not n:
            return end
        body = json.loads(end.body)
        note = f"kuro: {n:,} points were dropped: the spool disk was full while the server was down"
        error = f"{body['error']}\n{note}" if body.get("error") else note
        body["error"] = error[-ERROR_TEXT_MAX:]
        return replace(end, body=dumps(body))

    def exit_line(self, where: Path, *, offline: bool) -> str | None:
        """At close: the one line saying how many points were dropped, if any."""
        lost = self.dropped + self.points
        if not lost:
            return None
        parts = []
        if self.dropped:
            parts.append(f"{self.dropped:,} beyond max_pending={self.max_pending:,} while running")
        if self.points:
            parts.append(f"{self.points:,} still in memory at exit ({len(self.held)} requests)")
        return (
            f"kuro: {lost:,} points were dropped: the spool at {where} could not be written "
            f"({self.disk_error or 'a full disk'}) while the server "
            f"{'was offline' if offline else 'was down'}: {' and '.join(parts)}"
        )

    def warn_once(self, what: str, message: str, *args: object) -> None:
        if what not in self._warned:
            self._warned.add(what)
            logger.warning(message, *args)
