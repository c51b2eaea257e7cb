"""Uploading the spool: what ``kuro sync`` does, as a function.

Sessions are replayed oldest first, each request in order, with the same delivery code as
the live client (local references resolved, extra trials kept); sessions still held by a
running program are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kuro.client._config import SYNC_RETRY, server_url
from kuro.client._delivery import deliver
from kuro.client._retry import Retry
from kuro.client._spool import Spool
from kuro.client._transport import HttpTransport, Transport
from kuro.core.errors import AuthError, InvalidInput, KuroError, TransportError

__all__ = ["SyncReport", "sync"]

Progress = Callable[[int, int, int, int], None]


@dataclass
class SyncReport:
    """What a sync did: counts sent, requests refused or left, sessions skipped."""

    sessions: int = 0
    requests: int = 0
    points: int = 0
    trials: int = 0
    extra_trials: int = 0
    requests_total: int = 0
    points_total: int = 0
    servers: set[str] = field(default_factory=set)
    refused: list[Path] = field(default_factory=list)
    busy: list[Path] = field(default_factory=list)
    unreachable: str | None = None

    @property
    def left(self) -> int:
        return self.requests_total - self.requests - len(self.refused)


def sync(
    spool_dir: Path | None = None,
    server: str | None = None,
    *,
    transport: Transport | None = None,
    progress: Progress | None = None,
    retry: Retry = SYNC_RETRY,
) -> SyncReport:
    """Deliver every spooled request; ``progress(requests, of, points, of)`` after each.

    ``server`` defaults to ``KURO_SERVER``, else the server the session was recorded for;
    ``InvalidInput`` when it is not a server URL. Stops at the first session whose server
    cannot be reached, or whose recorded server is not a URL (``unreachable``)."""
    server = server_url(server) if server or os.environ.get("KURO_SERVER") else None
    report = SyncReport()
    plan: list[tuple[Spool, list[int]]] = []
    for spool in Spool.sessions(spool_dir):
        if not spool.lock():
            report.busy.append(spool.path)
            continue
        seqs = spool.pending()
        if not seqs:
            spool.close()
            continue
        plan.append((spool, seqs))
        report.requests_total += len(seqs)
        report.points_total += sum(spool.header(seq)["n_points"] for seq in seqs)
    for index, (spool, seqs) in enumerate(plan):
        if report.unreachable is not None:
            for later, _ in plan[index:]:
                later.unlock()
            break
        recorded = spool.read_meta().get("server")
        try:
            url = server_url(server, recorded=recorded)
        except InvalidInput:  # recorded by a client that did not check its URL
            report.unreachable = (
                f"{spool.path} was recorded for {recorded!r}, which is not a server URL; "
                "give one with --server"
            )
            spool.unlock()
            continue
        http = transport or HttpTransport(url)
        report.sessions += 1
        try:
            _sync_session(spool, seqs, http, retry, report, progress)
        finally:
            if transport is None:
                http.close()
            report.servers.add(url)
            spool.close()
    return report


def _sync_session(
    spool: Spool,
    seqs: list[int],
    transport: Transport,
    retry: Retry,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    for seq in seqs:
        op = spool.read(seq)
        try:
            answer = deliver(transport, spool, op, retry=retry)
        except (TransportError, AuthError) as exc:  # the server is away, or wants a token
            report.unreachable = exc.message
            return
        except KuroError as exc:
            report.refused.append(spool.fail(seq, exc.to_payload()))
        else:
            spool.remove(seq)
            report.requests += 1
            report.points += op.n_points
            if op.kind == "trial":
                report.trials += 1
                report.extra_trials += bool(answer["trial"].get("extra"))
        if progress is not None:
            progress(report.requests, report.requests_total, report.points, report.points_total)
