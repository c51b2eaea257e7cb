"""Bounded retries with jittered exponential backoff, and the testing switch.

Only ``kuro.TransportError`` is retried (unreachable, timeout, 5xx): a 4xx answer is the
caller's mistake and would fail the same way again. ``set_testing(True)`` turns retries and
the client's background threads off, so tests run deterministically and fast (the habit of
``stamina.set_testing``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kuro.core.errors import TransportError

__all__ = ["Retry", "is_testing", "set_testing"]

T = TypeVar("T")

_testing = False


def set_testing(testing: bool) -> None:
    """With ``True``: one attempt per call, no waiting, and no background threads (clients
    made afterwards deliver their points when flushed, in the calling thread)."""
    global _testing
    _testing = testing


def is_testing() -> bool:
    return _testing


@dataclass(frozen=True)
class Retry:
    """At most ``attempts`` tries and ``timeout`` seconds in all; waits grow from
    ``wait_initial`` by ``wait_exp_base`` up to ``wait_max``, each with up to ``wait_jitter``
    seconds of random jitter so that many clients do not come back in step."""

    attempts: int = 5
    timeout: float = 30.0
    wait_initial: float = 0.1
    wait_max: float = 5.0
    wait_exp_base: float = 2.0
    wait_jitter: float = 1.0

    def wait(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = self.wait_initial * self.wait_exp_base ** (attempt - 1)
        return min(self.wait_max, base + random.uniform(0, self.wait_jitter))

    def call(self, fn: Callable[[], T], *, sleep: Callable[[float], object] = time.sleep) -> T:
        """``fn()``, retried on ``TransportError`` within the bounds; the last error is raised."""
        if _testing:
            return fn()
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except TransportError:
                pause = self.wait(attempt)
                if attempt >= self.attempts or time.monotonic() + pause > deadline:
                    raise
                sleep(pause)
