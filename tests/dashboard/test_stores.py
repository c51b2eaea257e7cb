"""Metric values in Dash stores: non-finite values survive, and nothing is copied for nothing."""

from __future__ import annotations

import math

from kuro.dashboard.stores import from_store, to_store

FIELDS = {"best", "values"}


def _group():
    return {
        "experiments": [
            {
                "id": 1,
                "hyper_parameters": {"best": 1},
                "trials": [{"summaries": {"m": {"best": 0.5}}}],
            },
            {
                "id": 2,
                "trials": [{"summaries": {"m": {"best": -math.inf}}}],
                "values": [1.0, math.nan],
            },
        ]
    }


def test_round_trip_keeps_non_finite_values_and_leaves_the_input_alone():
    """NaN and infinities go out as wire strings and come back as floats; the input is unchanged."""
    data = _group()
    stored = to_store(data, FIELDS)
    assert stored["experiments"][1]["trials"][0]["summaries"]["m"]["best"] == "-Infinity"
    assert stored["experiments"][1]["values"] == [1.0, "NaN"]
    assert stored["experiments"][0]["hyper_parameters"] == {"best": 1}  # user data, untouched
    back = from_store(stored, FIELDS)
    assert back["experiments"][1]["trials"][0]["summaries"]["m"]["best"] == -math.inf
    assert math.isnan(back["experiments"][1]["values"][1])
    assert repr(data) == repr(_group())


def test_parts_without_a_value_to_rewrite_are_shared_not_copied():
    """An experiment whose values are all finite floats is the input's own dict."""
    data = _group()
    stored = to_store(data, FIELDS)
    assert stored is not data
    assert stored["experiments"][0] is data["experiments"][0]
    assert stored["experiments"][1] is not data["experiments"][1]
    back = from_store(stored, FIELDS)
    assert back["experiments"][0] is stored["experiments"][0]
