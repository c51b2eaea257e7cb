"""Canonical hyper-parameters: the same setting always gives the same key."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuro.core.canonical import hyper_parameters_key
from kuro.core.errors import InvalidInput

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.text(max_size=5)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)


def test_key_order_does_not_matter():
    """{a, b} and {b, a} are one setting."""
    assert hyper_parameters_key({"a": 1, "b": {"x": 1, "y": 2}}) == hyper_parameters_key(
        {"b": {"y": 2, "x": 1}, "a": 1}
    )


def test_integral_float_equals_int():
    """1 and 1.0 are the same value, at any depth."""
    assert hyper_parameters_key({"n": 1, "l": [2.0]}) == hyper_parameters_key({"n": 1.0, "l": [2]})


def test_different_values_differ():
    """A different value, a bool instead of an int, or a list order change is another setting."""
    base = hyper_parameters_key({"n": 1, "l": [1, 2]})
    assert hyper_parameters_key({"n": 2, "l": [1, 2]}) != base
    assert hyper_parameters_key({"n": True, "l": [1, 2]}) != base
    assert hyper_parameters_key({"n": 1, "l": [2, 1]}) != base


@pytest.mark.parametrize("bad", [math.nan, math.inf, object()])
def test_non_json_values_are_rejected(bad):
    """NaN, infinities and Python objects are not hyper-parameters."""
    with pytest.raises(InvalidInput) as info:
        hyper_parameters_key({"x": {"y": bad}})
    assert info.value.field == "hyper_parameters.x.y"


@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6))
def test_key_is_stable_under_reordering(hp):
    """Reversing every dict's key order never changes the key."""

    def reverse(v):
        if isinstance(v, dict):
            return {k: reverse(v[k]) for k in reversed(list(v))}
        if isinstance(v, list):
            return [reverse(x) for x in v]
        return v

    assert hyper_parameters_key(hp) == hyper_parameters_key(reverse(hp))
