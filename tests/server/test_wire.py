"""Metric values leave the server in wire form once, at the edge: selectors answer floats,
every JSON answer writes NaN and infinities as "NaN", "Infinity", "-Infinity"."""

from __future__ import annotations

import doctest
import math

import pytest

import kuro.server.wire
from kuro.server.wire import export_wire

pytestmark = pytest.mark.django_db

VALUES = [1.0, "NaN", "Infinity", "-Infinity"]


@pytest.fixture
def trial_id(api) -> int:
    _, experiment = api.post("/experiments", {"group": "g", "identifier": "m"})
    _, acquired = api.post(f"/experiments/{experiment['id']}/trials", {"worker": "w"})
    trial_id = acquired["trial"]["id"]
    series = [
        {"trial_id": trial_id, "metric": "loss", "steps": [0, 1, 2, 3], "values": VALUES},
        {"trial_id": trial_id, "metric": "val_acc", "steps": [0], "values": ["NaN"]},
    ]
    assert api.post("/points", {"series": series})[0] == 200
    return trial_id


def test_history_answers_wire_values(api, trial_id):
    """GET and POST /history write non-finite values as strings, sampled or not."""
    for _, answer in (
        api.get("/history", trial_ids=str(trial_id)),
        api.post("/history", {"trial_ids": [trial_id], "max_points": 2}),
    ):
        values = answer[0]["metrics"]["loss"]["values"]
        assert all(v in VALUES for v in values) and values[0] == 1.0


def test_summaries_answer_wire_values(api, trial_id):
    """Trial answers (detail, end, a group's experiments) write best and last as strings."""
    _, trial = api.get(f"/trials/{trial_id}")
    assert trial["summaries"]["loss"]["last"] == "-Infinity"
    assert trial["summaries"]["val_acc"] == {
        "best": "NaN",
        "last": "NaN",
        "last_step": 0,
        "count": 1,
    }
    _, ended = api.post(f"/trials/{trial_id}/end", {"status": "complete"})
    assert ended["summaries"]["val_acc"]["best"] == "NaN"
    _, group = api.get("/experiments", group="g")
    assert group["experiments"][0]["trials"][0]["summaries"]["loss"]["best"] == "-Infinity"


def test_export_answers_wire_values(api, trial_id):
    """GET /export writes series values and summaries in wire form."""
    _, doc = api.get("/export", group="g")
    trial = doc["experiments"][0]["trials"][0]
    assert trial["series"]["loss"]["values"] == VALUES
    assert trial["summaries"]["val_acc"]["last"] == "NaN"


def test_export_wire_leaves_its_input_alone():
    """``export_wire`` copies: the selector's document keeps its floats."""
    doc = {
        "experiments": [{"trials": [{"summaries": {}, "series": {"loss": {"values": [math.inf]}}}]}]
    }
    assert export_wire(doc)["experiments"][0]["trials"][0]["series"]["loss"]["values"] == [
        "Infinity"
    ]
    assert doc["experiments"][0]["trials"][0]["series"]["loss"]["values"] == [math.inf]


def test_docstring_examples():
    """The module's examples give what they show."""
    assert doctest.testmod(kuro.server.wire).failed == 0
