"""Delivering one spooled request: local references resolved, ids recorded.

The same code serves the client's background sender and ``kuro sync``, so a session
recorded offline (or while the server was down) replays exactly as it would have run.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kuro.client._spool import LOCAL_PREFIX, Op, Spool
from kuro.client._transport import Transport, dumps
from kuro.core.errors import Conflict, NotFound

__all__ = ["deliver"]

_PLACEHOLDER = re.compile(r"\{(local:[^}]+)\}")


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
    body = json.loads(op.body)
    for series in body["series"]:
        series["trial_id"] = _resolve(spool, series["trial_id"])
    return dumps(body)


def deliver(transport: Transport, spool: Spool, op: Op, *, timeout: float | None = None) -> Any:
    """Send ``op`` and record the id its answer defines. Raises ``TransportError`` (worth
    retrying) or the ``KuroError`` the server answered (the request will never succeed)."""
    path = _path(spool, op) if op.refs else op.path
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
