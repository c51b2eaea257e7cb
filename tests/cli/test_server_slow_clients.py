"""Slow and idle clients do not stop the default ``kuro server``: 200 connections that send
their headers a line every few seconds, or nothing, while another client's health checks
keep answering (p99 under a second). Loopback only; every socket is closed at the end."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx

CONNECTIONS = 200
SECONDS = 12


def test_200_slow_and_idle_connections_do_not_delay_others(fresh_kuro):
    """Half drip header lines every 3 s, half say nothing: health p99 stays under 1 s."""
    sockets = [
        socket.create_connection(("127.0.0.1", fresh_kuro.port), timeout=5)
        for _ in range(CONNECTIONS)
    ]
    stop = threading.Event()

    def drip() -> None:
        line = 0
        while not stop.is_set():
            for s in sockets[::2]:
                with contextlib.suppress(OSError):
                    s.sendall(b"GET /api/v1/health HTTP/1.1\r\n" if line == 0 else b"X-Slow: y\r\n")
            line += 1
            stop.wait(3)

    dripper = threading.Thread(target=drip)
    dripper.start()
    latencies = []
    try:
        deadline = time.monotonic() + SECONDS
        with httpx.Client(base_url=fresh_kuro.url, timeout=30) as http:
            while time.monotonic() < deadline:
                started = time.monotonic()
                assert http.get("/api/v1/health").status_code == 200
                latencies.append(time.monotonic() - started)
                time.sleep(0.02)
    finally:
        stop.set()
        dripper.join()
        for s in sockets:
            s.close()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    p50 = latencies[len(latencies) // 2]
    print(f"{len(latencies)} health checks: p50 {p50:.4f} s, p99 {p99:.4f} s")
    assert len(latencies) > 50
    assert p99 < 1.0, latencies[-10:]
