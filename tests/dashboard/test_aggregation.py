"""Aggregation over trials: summaries, differing keys, alignment, bands and smoothing."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuro.dashboard.aggregation import (
    align,
    band,
    best_trial,
    bucketed,
    ema,
    experiment_aggregates,
    summarize,
    summary_best,
)


def _experiment(eid, identifier, params, bests, statuses=None):
    statuses = statuses or ["complete"] * len(bests)
    return {
        "id": eid,
        "identifier": identifier,
        "hyper_parameters": params,
        "metrics": ["acc"],
        "trials": [
            {"id": eid * 10 + i, "status": s, "summaries": {"acc": {"best": b}} if b else {}}
            for i, (b, s) in enumerate(zip(bests, statuses, strict=True))
        ],
    }


def test_summary_best_is_a_float_and_missing_or_null_is_nan():
    """A trial's best value as the selectors give it; none, or the store's null, is NaN."""
    assert summary_best({"summaries": {"acc": {"best": math.inf}}}, "acc") == math.inf
    assert math.isnan(summary_best({"summaries": {"acc": {"best": None}}}, "acc"))
    assert math.isnan(summary_best({"summaries": {}}, "acc"))
    assert math.isnan(summary_best({}, "acc"))


def test_summarize_mean_best_sample_std():
    """Mean, best by mode and sample std skip NaN and infinities."""
    stats = summarize([1.0, 2.0, 3.0, math.nan, math.inf], "min")
    assert stats == {"mean": 2.0, "best": 1.0, "std": 1.0, "n": 3}
    assert summarize([5.0], "max") == {"mean": 5.0, "best": 5.0, "std": None, "n": 1}
    assert summarize([], "max")["n"] == 0


def test_experiment_aggregates_over_trial_bests():
    """One row per experiment and metric, over trial bests; lost attempts do not count."""
    rows = experiment_aggregates(
        [_experiment(1, "mlp", {}, [0.8, 0.9, 0.1], ["complete", "complete", "lost"])],
        [{"name": "acc", "mode": "max"}, {"name": "loss", "mode": "min"}],
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["n"] == 2 and row["n_trials"] == 2
    assert row["best"] == 0.9
    assert row["mean"] == pytest.approx(0.85)
    assert row["std"] == pytest.approx(math.sqrt(0.005))


def test_best_trial_follows_mode():
    """The best trial is the one with the best value by mode; NaN never wins."""
    experiment = _experiment(1, "mlp", {}, [0.5, math.nan, 0.7])
    assert best_trial(experiment, "acc", "max") == 12
    assert best_trial(experiment, "acc", "min") == 10
    assert best_trial(experiment, "missing", "max") is None


def test_ema_debiased_and_passes_nan():
    """EMA starts at the first value (bias corrected) and leaves NaN out."""
    assert ema([2.0, 2.0, 2.0], 0.9) == pytest.approx([2.0, 2.0, 2.0])
    smoothed = ema([0.0, math.nan, 10.0], 0.5)
    assert smoothed[0] == 0.0 and math.isnan(smoothed[1])
    assert smoothed[2] == pytest.approx(10 * 0.5 / 0.75)
    assert ema([1.0, 5.0], 0) == [1.0, 5.0]


def test_align_interpolates_inside_and_not_beyond():
    """Missing steps inside a series are interpolated; beyond its end they are NaN."""
    steps, rows = align([([0, 10], [0.0, 10.0]), ([0, 5], [1.0, 1.0])])
    assert steps.tolist() == [0, 5, 10]
    assert rows[0].tolist() == [0.0, 5.0, 10.0]
    assert rows[1][:2].tolist() == [1.0, 1.0] and math.isnan(rows[1][2])


def test_bucketed_means_and_extremes_per_bucket():
    """On one grid of equal buckets, each series' mean, minimum and maximum in each bucket
    (NaN skipped): the lows and highs bound every point of every series."""
    rng = np.random.default_rng(7)
    series = []
    for k in range(5):
        steps = np.arange(k, 10_000, 3)  # each series its own steps
        values = rng.normal(0, 1, len(steps))
        values[rng.integers(0, len(steps), 20)] = math.nan
        series.append((steps, values))
    series[2][1][1000] = 99.0  # a spike
    grid = bucketed(series, 100)
    assert grid.extra is None and len(grid.steps) == 100
    assert grid.means.shape == grid.lows.shape == grid.highs.shape == (5, 100)
    for b in range(100):
        assert b * 100 <= grid.steps[b] < (b + 1) * 100
        for k, (s, v) in enumerate(series):
            inside = v[(s * 100) // 10_000 == b]
            assert grid.lows[k, b] == np.nanmin(inside)
            assert grid.highs[k, b] == np.nanmax(inside)
            assert grid.means[k, b] == pytest.approx(np.nanmean(inside), rel=1e-12)
    assert grid.highs.max() == 99.0
    assert grid.lows.min() == min(np.nanmin(v) for _, v in series)


def test_bucketed_ranges_gaps_and_extra_values():
    """Outside its range a series has no value; inside, a bucket where it has no point is
    interpolated; extra values (times) are averaged over the same points."""
    long = (np.arange(0, 1000), np.linspace(0.0, 1.0, 1000))
    short = (np.arange(500, 1000), np.full(500, 2.0))
    sparse = (np.arange(0, 1000, 250), np.array([0.0, 1.0, 2.0, 3.0]))
    times = [s * 10.0 for s, _ in (long, short, sparse)]
    grid = bucketed([long, short, sparse], 10, times)
    assert len(grid.steps) == 10
    assert all(b * 100 <= step < (b + 1) * 100 for b, step in enumerate(grid.steps.tolist()))
    assert np.isnan(grid.means[1][:5]).all() and (grid.means[1][5:] == 2.0).all()
    # Points in buckets 0, 2, 5 and 7; the buckets between them interpolated; none after.
    assert grid.means[2][:8].tolist() == pytest.approx([0, 0.5, 1, 4 / 3, 5 / 3, 2, 2.5, 3])
    assert np.isnan(grid.means[2][8:]).all()
    assert grid.extra is not None
    assert grid.extra[0].tolist() == [10.0 * (b * 100 + 49.5) for b in range(10)]
    assert bucketed([], 10).means.shape == (0, 0)


@given(
    st.lists(
        st.tuples(
            st.integers(-(2**63), 2**63 - 1 - 200),
            st.integers(1, 3),
            st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=60),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(1, 12),
)
def test_bucketed_shape_and_bounds_on_any_series(specs, n_buckets):
    """Any series (empty, one point, NaN, infinities, values up to the largest floats,
    steps anywhere in int64, apart or overlapping): at most n_buckets columns, integer
    steps in order within the series' range, in each cell low <= mean <= high, none outside
    the series' own values, and bands of them without numpy's warnings (errors here)."""
    series = [
        (np.arange(len(v), dtype=np.int64) * stride + start, np.array(v, dtype=np.float64))
        for start, stride, v in specs
    ]
    grid = bucketed(series, n_buckets)
    steps = grid.steps.tolist()  # Python ints: a difference of int64 steps may overflow
    assert len(steps) <= n_buckets and grid.means.shape == (len(series), len(steps))
    assert grid.steps.dtype == np.int64 and steps == sorted(set(steps))
    present = [s for s, _ in series if len(s)]
    if present:
        assert min(steps) >= min(int(s[0]) for s in present)
        assert max(steps) <= max(int(s[-1]) for s in present)
    for k, (_, v) in enumerate(series):
        own = v[~np.isnan(v)]
        for plane in (grid.lows, grid.means, grid.highs):
            shown = plane[k][~np.isnan(plane[k])]
            assert (shown >= own.min(initial=np.inf)).all()
            assert (shown <= own.max(initial=-np.inf)).all()
        cells = ~np.isnan(grid.lows[k]) & ~np.isnan(grid.means[k]) & ~np.isnan(grid.highs[k])
        assert (grid.lows[k][cells] <= grid.means[k][cells]).all()
        assert (grid.means[k][cells] <= grid.highs[k][cells]).all()
    for kind in ("std", "minmax"):
        band(grid.means, kind)


def test_bucketed_mean_of_the_largest_floats_does_not_overflow():
    """Values whose sum passes 1.8e308 still have their mean; their spread across series,
    past the largest float, is no number (no band drawn there), without numpy's warnings."""
    top = np.finfo(np.float64).max
    grid = bucketed([([0, 1], [top, top / 2]), ([0, 1], [0.0, 1.0])], 1)
    assert grid.means[0].tolist() == [top * 0.75] and grid.means[1].tolist() == [0.5]
    spread = band(grid.means, "std")
    assert spread["mean"][0] == pytest.approx(top * 0.375)
    assert not np.isfinite(spread["upper"][0]) and not np.isfinite(spread["lower"][0])


def test_bucketed_keeps_steps_beyond_a_float_exact():
    """Steps past 2**53 (any int64 is a step) stay distinct and exact: no float rounding."""
    big = 2**62
    grid = bucketed([(np.array([big, big + 1, big + 2]), np.array([1.0, 2.0, 3.0]))], 2)
    assert grid.steps.tolist() == [big, big + 2]
    assert grid.means[0].tolist() == [1.5, 3.0]
    top = 2**63 - 1
    grid = bucketed([([top - 2, top], [1.0, 2.0])], 3)  # the middle bucket interpolated
    assert grid.steps.tolist() == [top - 2, top - 1, top]
    assert grid.means[0].tolist() == [1.0, 1.5, 2.0]


def test_bucketed_gap_beside_an_infinity_warns_nothing():
    """A bucket between a value and an infinity is the infinity (as ``align`` has it), and
    between two infinities of opposite signs NaN, without numpy's warnings (errors here)."""
    grid = bucketed([(np.array([0, 2, 4]), np.array([1.0, math.inf, -math.inf]))], 5)
    means = grid.means[0].tolist()
    assert means[:3] == [1.0, math.inf, math.inf] and means[4] == -math.inf
    assert math.isnan(means[3])


@pytest.mark.parametrize("kind", ["std", "minmax"])
def test_band_fast_path_matches_the_general_one(kind):
    """All-finite rows (the fast path) give what the NaN-aware path gives."""
    rng = random.Random(4)
    rows = [[1e6 + rng.gauss(0, 1e-3) for _ in range(50)] for _ in range(5)]
    fast = band(np.array(rows), kind)
    general = band(np.array([*rows, [math.nan] * 50]), kind)  # a NaN row: the general path
    for key in ("mean", "lower", "upper"):
        assert fast[key].tolist() == pytest.approx(general[key].tolist(), rel=1e-12, abs=1e-12)
    assert fast["n"].tolist() == general["n"].tolist() == [5] * 50


def test_band_std_and_minmax():
    """The band is mean ± sample std, or the min-max range; n counts finite values."""
    rows = np.array([[1.0, 2.0], [3.0, math.nan]])
    std = band(rows, "std")
    assert std["mean"].tolist() == [2.0, 2.0]
    assert std["lower"][0] == pytest.approx(2 - math.sqrt(2))
    assert std["upper"][1] == 2.0  # one value: zero width
    assert std["n"].tolist() == [2, 1]
    minmax = band(rows, "minmax")
    assert (minmax["lower"][0], minmax["upper"][0]) == (1.0, 3.0)
    with pytest.raises(ValueError):
        band(rows, "iqr")


def test_bucketed_gap_between_the_largest_floats_stays_between_them():
    """A gap between -1.8e308 and 7e292 is interpolated without overflow (their difference
    passes the largest float) and stays between them."""
    low, high = 6.985441083371519e292, -1.7976931348623151e308
    grid = bucketed([(np.array([0, 2]), np.array([low, high]))], 3)
    middle = grid.means[0][1]
    assert high <= middle <= low and middle == pytest.approx(low / 2 + high / 2)
