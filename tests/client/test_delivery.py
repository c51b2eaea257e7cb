"""Delivering a spooled request: local references become server ids, in path and body."""

from __future__ import annotations

import json
from typing import Any

import pytest

import kuro
from kuro.client._delivery import deliver
from kuro.client._spool import Op, Spool
from kuro.client._transport import Transport, dumps


class Answers(Transport):
    """Answers from a list, recording each request."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.seen: list[tuple[str, str, Any]] = []

    def request(self, method, path, *, content=None, params=None, timeout=None):
        self.seen.append((method, path, json.loads(content) if content else None))
        return self.answers.pop(0)


def test_a_created_trial_gives_its_reference_an_id(spool_dir):
    """The trial an offline reference stands for gets the id the server answered."""
    spool, transport = Spool(spool_dir), Answers({"trial": {"id": 42}})
    spool.define("local:experiment-e", 7)
    op = Op("trial", "POST", "/experiments/{local:experiment-e}/trials", b"{}", refs=True)
    op.defines = "local:trial-t"
    deliver(transport, spool, op)
    assert transport.seen[0][1] == "/experiments/7/trials"
    assert spool.refs["local:trial-t"] == 42


def test_points_name_trials_by_their_server_ids(spool_dir):
    """A points batch recorded offline goes out with the trials' real ids."""
    spool, transport = Spool(spool_dir), Answers({"n_points": 1})
    spool.define("local:trial-t", 42)
    body = {"batch_id": "b", "series": [{"trial_id": "local:trial-t", "steps": [0]}]}
    deliver(transport, spool, Op("points", "POST", "/points", dumps(body), refs=True))
    assert transport.seen[0][2]["series"][0]["trial_id"] == 42


def test_a_reference_never_created_is_not_found(spool_dir):
    """When the request creating a trial failed, its points cannot be delivered."""
    body = {"batch_id": "b", "series": [{"trial_id": "local:trial-gone", "steps": [0]}]}
    with pytest.raises(kuro.NotFound):
        deliver(
            Answers(), Spool(spool_dir), Op("points", "POST", "/points", dumps(body), refs=True)
        )


def test_a_trial_the_server_would_not_store_is_a_conflict(spool_dir):
    """An acquire answered with no trial (despite extra) is refused, not silently dropped."""
    op = Op("trial", "POST", "/experiments/1/trials", b"{}", defines="local:trial-t")
    with pytest.raises(kuro.Conflict):
        deliver(Answers({"trial": None, "reason": "no_more_trials"}), Spool(spool_dir), op)
