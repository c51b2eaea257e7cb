"""Bounded retries with jittered exponential backoff; only transport failures retried."""

from __future__ import annotations

import pytest

import kuro
from kuro.client._retry import Retry


def _flaky(failures: int, error: Exception):
    calls = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise error
        return "ok"

    return fn, calls


def test_transport_errors_are_retried_until_success():
    """Two failures, then an answer: three calls and two waits."""
    fn, calls = _flaky(2, kuro.TransportError("down"))
    waits: list[float] = []
    assert Retry(attempts=5).call(fn, sleep=waits.append) == "ok"
    assert len(calls) == 3 and len(waits) == 2


def test_server_answers_are_not_retried():
    """A 4xx answer would fail again: it is raised at once."""
    fn, calls = _flaky(1, kuro.InvalidInput("bad"))
    with pytest.raises(kuro.InvalidInput):
        Retry(attempts=5).call(fn, sleep=lambda s: None)
    assert len(calls) == 1


def test_attempts_are_bounded():
    """After ``attempts`` tries the last error is raised."""
    fn, calls = _flaky(10, kuro.TransportError("down"))
    with pytest.raises(kuro.TransportError):
        Retry(attempts=3).call(fn, sleep=lambda s: None)
    assert len(calls) == 3


def test_total_time_is_bounded():
    """No wait is started that would end past ``timeout``."""
    fn, calls = _flaky(10, kuro.TransportError("down"))
    with pytest.raises(kuro.TransportError):
        Retry(attempts=100, timeout=0.0, wait_jitter=0).call(fn, sleep=lambda s: None)
    assert len(calls) == 1


def test_waits_grow_exponentially_with_jitter_up_to_a_cap():
    """Waits double from ``wait_initial``, each with its jitter, never above ``wait_max``."""
    retry = Retry(wait_initial=0.1, wait_max=1.0, wait_jitter=0.05)
    for attempt, base in [(1, 0.1), (2, 0.2), (3, 0.4)]:
        waits = {retry.wait(attempt) for _ in range(20)}
        assert all(base <= w <= base + 0.05 for w in waits) and len(waits) > 1
    assert retry.wait(10) == 1.0


def test_testing_switch_means_one_attempt(testing):
    """With ``set_testing(True)`` a failure is raised at once, without waiting."""
    fn, calls = _flaky(1, kuro.TransportError("down"))
    with pytest.raises(kuro.TransportError):
        Retry(attempts=5).call(fn, sleep=pytest.fail)
    assert len(calls) == 1
