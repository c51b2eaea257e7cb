"""Delivering one spooled request: local references resolved, ids recorded, a points batch
too large for the server split until it fits.

The same code serves the client's background sender and ``kuro sync``, so a session
recorded offline (or while the server was down) replays exactly as it would have run.

A run context is spooled whole, and sent without its package list once the server holds
that set (``kuro.client._packages``).

A batch the server answers with 413 (``kuro.PayloadTooLarge``) is never dropped: it is
sent again as two halves, each with a batch id derived from its parent's (``<id>-a``,
``<id>-b``), halved again as often as needed. The derivation is deterministic, so when the
whole request is sent again (an answer lost, the process killed between halves), the
halves already stored are recognized by the server as resends and applied once.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kuro.client._packages import send_context
from kuro.client._retry import Retry
from kuro.client._spool import LOCAL_PREFIX, Op, Spool
from kuro.client._transport import Transport, dumps
from kuro.core.errors import Conflict, NotFound, PayloadTooLarge

__all__ = ["deliver", "load_body", "split_points"]

_PLACEHOLDER = re.compile(r"\{(local:[^}]+)\}")


def load_body(body: bytes) -> Any:
    """A spooled JSON body, decoded. Bare ``NaN``/``Infinity`` tokens (spools of older
    clients) come back as the wire's strings, so the body re-encodes as strict JSON."""
    return json.loads(body, parse_constant=str)


def _resolve(spool: Spool, ref: Any) -> Any:
    if isinstance(ref, str) and ref.startswith(LOCAL_PREFIX):
        try:
            return spool.refs[ref]
        except KeyError:
            raise NotFound(
                f"{ref} was never created on the server (its request failed)",
                detail={"field": "ref", "ref": ref},
            ) from None
    return ref


def _path(spool: Spool, op: Op) -> str:
    return _PLACEHOLDER.sub(lambda m: str(_resolve(spool, m.group(1))), op.path)


def _body(spool: Spool, op: Op) -> bytes:
    if not op.refs or op.kind != "points":
        return op.body
    body = load_body(op.body)
    for series in body["series"]:
        series["trial_id"] = _resolve(spool, series["trial_id"])
    return dumps(body)


def split_points(op: Op) -> tuple[Op, Op]:
    """A points request as two, each with half of its points (in order) and its own batch
    id derived from the parent's."""
    body = load_body(op.body)
    total = sum(len(s["steps"]) for s in body["series"])
    half = total // 2
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    taken = 0
    for s in body["series"]:
        n = len(s["steps"])
        if taken >= half:
            second.append(s)
        elif taken + n <= half:
            first.append(s)
            taken += n
        else:  # this series straddles the middle: cut it
            cut = half - taken
            columns = ("steps", "values", "times")
            first.append({**s, **{c: s[c][:cut] for c in columns}})
            second.append({**s, **{c: s[c][cut:] for c in columns}})
            taken = half
    batch_id = body["batch_id"]
    halves = (
        ({**body, "batch_id": f"{batch_id}-a", "series": first}, half),
        ({**body, "batch_id": f"{batch_id}-b", "series": second}, total - half),
    )
    a, b = (replace(op, body=dumps(part), n_points=n) for part, n in halves)
    return a, b


def _send(transport: Transport, spool: Spool, op: Op, timeout: float | None) -> Any:
    path = _path(spool, op) if op.refs else op.path
    if op.kind == "context":
        return send_context(
            transport.package_sets,
            load_body(op.body),
            lambda body: transport.request(op.method, path, content=dumps(body), timeout=timeout),
            lambda answer: answer.get("context") if isinstance(answer, dict) else None,
        )
    answer = transport.request(op.method, path, content=_body(spool, op), timeout=timeout)
    if op.kind == "trial" and answer.get("trial") is None:
        # The request asks for it with "extra": true: a full experiment still stores it.
        raise Conflict(
            f"the server did not store the trial made offline ({answer.get('reason')})",
            detail={"field": "extra", "reason": answer.get("reason")},
        )
    if op.defines is not None:
        ident = answer["trial"]["id"] if op.kind == "trial" else answer["id"]
        spool.define(op.defines, ident)
    return answer


def deliver(
    transport: Transport,
    spool: Spool,
    op: Op,
    *,
    timeout: float | None = None,
    retry: Retry | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> Any:
    """Send ``op`` (each piece of it within ``retry``) and record the id its answer defines.
    Raises ``TransportError`` (worth retrying) or the ``KuroError`` the server answered (the
    request will never succeed). A points batch split in pieces answers their points and
    prune lists together."""

    def attempt(piece: Op) -> Any:
        if retry is None:
            return _send(transport, spool, piece, timeout)
        return retry.call(lambda: _send(transport, spool, piece, timeout), sleep=sleep)

    if op.kind != "points":
        return attempt(op)
    return _deliver_points(op, attempt)


def _deliver_points(op: Op, attempt: Callable[[Op], Any]) -> Any:
    try:
        return attempt(op)
    except PayloadTooLarge:
        if op.n_points < 2:
            raise  # one point too large: no split can help
    answers = [_deliver_points(half, attempt) for half in split_points(op)]
    prune = sorted({i for a in answers if isinstance(a, dict) for i in a.get("prune") or ()})
    n_points = sum(a.get("n_points", 0) for a in answers if isinstance(a, dict))
    return {"n_points": n_points, "prune": prune}
