"""Console output kept with trials: a tee on ``sys.stdout``/``sys.stderr`` (opt-in), and the
pieces of text a process's output becomes, each a ``POST /trials/{id}/output`` request.

The tee writes to the real stream first, so the user sees their output as before, then
appends the text to a deque (one atomic append: no lock, no I/O on the writing thread). A
background thread drains it into requests, delivered through the spool with the points, so
an outage loses none of it. Each piece names its capture session and its offset in it, so
the server stores a resent piece once.

``kuro agent`` uses the same ``OutputBuffer`` for the output of the commands it runs.

>>> buffer = OutputBuffer(session="s")
>>> buffer.write("epoch 1\\x00\\n")
>>> [(p["offset"], p["text"]) for p in buffer.pieces("trial-1")]
[(0, 'epoch 1\\ufffd\\n')]
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections import deque
from typing import Any, TextIO

from kuro.client._spool import Key
from kuro.core.errors import InvalidInput

__all__ = ["PIECE_MAX", "OutputBuffer", "Tee", "capture_output_enabled", "output_limit"]

PIECE_MAX = 262_144
"""Characters of output per request (the server takes up to 1,048,576)."""

OUTPUT_MAX = 4_000_000
"""The server's default of characters kept per trial (``KURO_OUTPUT_MAX_CHARS``)."""
_TRUE = ("1", "on", "true", "yes")
_FALSE = ("", "0", "off", "false", "no")


def capture_output_enabled(given: bool | None = None) -> bool:
    """``given``, else ``KURO_CAPTURE_OUTPUT`` (``1``/``on`` or ``0``/``off``), else off."""
    if given is not None:
        return given
    text = os.environ.get("KURO_CAPTURE_OUTPUT", "").strip().lower()
    if text not in _TRUE + _FALSE:
        raise InvalidInput(
            f"KURO_CAPTURE_OUTPUT is 1 (on) or 0 (off), not {text!r}", field="KURO_CAPTURE_OUTPUT"
        )
    return text in _TRUE


def output_limit() -> int:
    """Characters of output a trial keeps: ``KURO_OUTPUT_MAX_CHARS`` (as on the server),
    else 4,000,000 (the server's default)."""
    text = os.environ.get("KURO_OUTPUT_MAX_CHARS", "").strip()
    try:
        limit = int(text) if text else OUTPUT_MAX
    except ValueError:
        limit = 0
    if limit < 2:
        raise InvalidInput(
            f"KURO_OUTPUT_MAX_CHARS is a number of characters >= 2, not {text!r}",
            field="KURO_OUTPUT_MAX_CHARS",
        )
    return limit


def _clean(text: str) -> str:
    """Text the server can store: no NUL, no lone surrogate (``surrogateescape`` decoding)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


class OutputBuffer:
    """Output text waiting to be sent, and how much of it each trial was sent.

    With a ``limit`` (``kuro agent``: the server's ``KURO_OUTPUT_MAX_CHARS``), a trial is
    sent its first ``limit`` characters as they come; of the rest only the last
    ``limit // 2`` are held in memory, for ``held`` to send at the end: a runaway command
    fills neither the spool nor the network, and the server keeps the same head and tail
    (the characters never sent are counted in its cut).

    ``write`` may be called from any thread (a deque append); ``pieces`` and ``held`` from
    one thread at a time (they hold a lock)."""

    def __init__(self, session: str | None = None, *, limit: int | None = None) -> None:
        self.session = session or f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.limit = limit
        self._waiting: deque[str] = deque()
        self._sent: dict[Key, int] = {}  # characters of each trial's output accounted for
        self._tails: dict[Key, str] = {}  # past the limit: the latest characters, unsent
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        self._waiting.append(text)

    def __bool__(self) -> bool:
        return bool(self._waiting)

    def take(self) -> str:
        """Everything written so far, removed from the buffer."""
        waiting = self._waiting
        parts = []
        for _ in range(len(waiting)):  # only what is there now: writers keep appending
            parts.append(waiting.popleft())
        return _clean("".join(parts))

    def _bodies(self, text: str, offset: int, now: float) -> list[dict[str, Any]]:
        return [
            {
                "session": self.session,
                "offset": offset + start,
                "text": text[start : start + PIECE_MAX],
                "time": now,
            }
            for start in range(0, len(text), PIECE_MAX)
        ]

    def pieces(self, *keys: Key, text: str | None = None) -> list[dict[str, Any]]:
        """The bodies of the requests that send ``text`` (default: everything written so
        far) to each trial of ``keys``: at most ``PIECE_MAX`` characters each."""
        bodies: list[dict[str, Any]] = []
        with self._lock:
            text = self.take() if text is None else _clean(text)
            if not text or not keys:
                return bodies
            now = time.time()
            for key in keys:
                offset = self._sent.get(key, 0)
                send, hold = text, ""
                if self.limit is not None:
                    room = max(0, self.limit - offset)
                    send, hold = text[:room], text[room:]
                bodies += self._bodies(send, offset, now)
                if hold and self.limit is not None:
                    keep = self.limit - self.limit // 2  # as much as the server's tail
                    self._tails[key] = (self._tails.get(key, "") + hold)[-keep:]
                self._sent[key] = offset + len(text)
        return bodies

    def held(self, key: Key) -> list[dict[str, Any]]:
        """The bodies that send the tail held back past the limit (at the trial's end)."""
        with self._lock:
            tail = self._tails.pop(key, "")
            if not tail:
                return []
            return self._bodies(tail, self._sent[key] - len(tail), time.time())


class Tee:
    """Stands in for ``sys.stdout`` or ``sys.stderr``: writes go to the real stream, then to
    an ``OutputBuffer`` while ``active``. Everything else is the real stream's."""

    def __init__(self, stream: TextIO, buffer: OutputBuffer) -> None:
        self._kuro_stream = stream
        # Bound once: a write is on the user's hot path (a progress bar writes often).
        self._kuro_write = stream.write
        self._kuro_keep = buffer._waiting.append  # what OutputBuffer.write does
        self.active = True

    def write(self, text: str) -> int:
        written = self._kuro_write(text)
        if self.active and type(text) is str:
            self._kuro_keep(text)
        return written

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kuro_stream, name)

    @classmethod
    def install(cls, buffer: OutputBuffer) -> list[Tee]:
        """Tee ``sys.stdout`` and ``sys.stderr`` into ``buffer``."""
        tees = []
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is None:  # pythonw, a daemon: nothing to tee
                continue
            tee = cls(stream, buffer)
            setattr(sys, name, tee)
            tees.append(tee)
        return tees

    @staticmethod
    def uninstall(tees: list[Tee]) -> None:
        """Put the real streams back; a tee someone wrapped in turn only stops copying."""
        for tee in tees:
            tee.active = False
            for name in ("stdout", "stderr"):
                if getattr(sys, name) is tee:
                    setattr(sys, name, tee._kuro_stream)
