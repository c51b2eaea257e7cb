"""The one NaN/Infinity dialect on the wire."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuro.core.values import decode_value, decode_values, encode_value, encode_values


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_round_trip_through_strict_json(value):
    """Every float survives encoding, strict JSON and decoding."""
    text = json.dumps(encode_value(value), allow_nan=False)
    back = decode_value(json.loads(text))
    assert back == value or (math.isnan(back) and math.isnan(value))


def test_encoded_lists_are_strict_json():
    """A list with NaN and infinities encodes to strings, None (a stored NaN) to "NaN"."""
    values = [1.5, math.nan, math.inf, -math.inf, None]
    assert encode_values(values) == [1.5, "NaN", "Infinity", "-Infinity", "NaN"]
    json.dumps(encode_values(values), allow_nan=False)


def test_decoding_accepts_the_spellings_python_writes():
    """Bare tokens and case variants decode; the result is always a float."""
    decoded = decode_values([1, "nan", "-Infinity", "+inf", 2.0])
    assert [type(v) for v in decoded] == [float] * 5
    assert math.isnan(decoded[1]) and decoded[2] == -math.inf and decoded[3] == math.inf


@pytest.mark.parametrize("bad", [True, "abc", None, [1], {"v": 1}])
def test_anything_else_is_refused(bad):
    """Booleans, other strings and containers are not metric values."""
    with pytest.raises(ValueError):
        decode_value(bad)
