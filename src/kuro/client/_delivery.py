"""Delivering one spooled request: local references resolved, extra trials kept.

The same code serves the client's background sender and ``kuro sync``, so a session
recorded offline (or while the server was down) replays exactly as it would have run.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kuro._errors import NotFound
from kuro.client._spool import LOCAL_PREFIX, Op, Spool
from kuro.client._transport import Transport, dumps

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
        answer = _extra_trial(transport, path, op, timeout)
    if op.defines is not None:
        ident = answer["trial"]["id"] if op.kind == "trial" else answer["id"]
        spool.define(op.defines, ident)
    return answer


def _extra_trial(transport: Transport, path: str, op: Op, timeout: float | None) -> Any:
    """A trial made offline beyond ``n_trials`` is stored anyway, never dropped.

    The acquire request already asks for it (``"extra": true``); a server that does not
    know that field answers ``trial: null``, and then the experiment's ``n_trials`` is raised
    by one, the only way the current API allows, before acquiring again.
    """
    experiment_id = int(path.split("/")[2])
    experiment = transport.request("GET", f"/experiments/{experiment_id}", timeout=timeout)
    transport.call(
        "POST",
        "/experiments",
        {
            "group": experiment["group"],
            "identifier": experiment["identifier"],
            "hyper_parameters": experiment["hyper_parameters"],
            "n_trials": experiment["n_trials_started"] + 1,
        },
        timeout=timeout,
    )
    answer = transport.request(op.method, path, content=op.body, timeout=timeout)
    if answer.get("trial") is None:  # raced by another worker for the new slot: try once more
        return _extra_trial(transport, path, op, timeout)
    return answer
