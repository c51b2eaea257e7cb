"""Min-max downsampling keeps a series' extremes, ends and order."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kuro.core.downsample import minmax_indices, minmax_union


def test_short_series_is_kept_whole():
    """A series within the budget is not touched."""
    assert minmax_indices([3.0, 1.0, 2.0], 10).tolist() == [0, 1, 2]


def test_keeps_spike_and_dip():
    """A single spike and a single dip in a long flat series survive."""
    values = [0.0] * 10_000
    values[1234] = 99.0
    values[8765] = -99.0
    keep = minmax_indices(values, 100).tolist()
    assert len(keep) <= 100
    assert 1234 in keep and 8765 in keep
    assert keep[0] == 0 and keep[-1] == 9999


def test_nan_is_never_an_extreme():
    """None (NaN) is skipped when picking a bucket's extremes."""
    values = [None if i % 2 else float(i) for i in range(1000)]
    keep = minmax_indices(values, 50).tolist()
    assert all(values[i] is not None for i in keep[1:-1])


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.none(), max_size=400),
    st.integers(min_value=4, max_value=120),
)
def test_properties(values, max_points):
    """Within budget, sorted, unique, ends kept, global extremes kept."""
    keep = minmax_indices(values, max_points).tolist()
    assert len(keep) <= max(max_points, len(values) if len(values) <= max_points else 0)
    assert keep == sorted(set(keep))
    if values:
        assert keep[0] == 0 and keep[-1] == len(values) - 1
        finite = [v for v in values if v is not None]
        if finite:
            kept = [values[i] for i in keep if values[i] is not None]
            assert max(finite) in kept and min(finite) in kept


def test_nan_floats_are_never_extremes():
    """A float NaN (how selectors hand NaN over) is skipped like a stored NULL."""
    values = [math.nan if i % 2 else float(i) for i in range(1000)]
    keep = minmax_indices(values, 50).tolist()
    assert all(not math.isnan(values[i]) for i in keep[1:-1])


@given(
    st.lists(st.tuples(*[st.floats(-1e6, 1e6) | st.just(math.nan)] * 3), min_size=1, max_size=400),
    st.integers(min_value=2, max_value=120),
)
def test_union_of_lines_properties(rows, max_points):
    """Several lines drawn together: within budget, sorted, unique, ends kept, and each
    line's global extremes kept whenever the lines' extremes fit the budget together."""
    lines = [np.array(column, dtype=np.float64) for column in zip(*rows, strict=True)]
    keep = minmax_union(lines, max_points).tolist()
    n = len(rows)
    assert len(keep) <= max(max_points, n if n <= max_points else 0)
    assert keep == sorted(set(keep)) and keep[0] == 0 and keep[-1] == n - 1
    if n > max_points and max_points >= 4 * len(lines):
        for line in lines:
            finite = line[~np.isnan(line)]
            if len(finite):
                kept = line[keep]
                assert finite.max() in kept and finite.min() in kept
