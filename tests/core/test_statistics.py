"""Statistics of repeated trials match scipy's and rliable's definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from kuro.core.statistics import (
    describe,
    describe_many,
    rank,
    trials_needed,
    trials_needed_many,
    versus,
    versus_many,
)

finite = st.floats(-1e6, 1e6, allow_nan=False)


def _poi(x, y):
    """rliable's probability of improvement: P(X > Y) + P(X = Y) / 2, by brute force."""
    pairs = [(a > b) + 0.5 * (a == b) for a in x for b in y]
    return sum(pairs) / len(pairs)


def test_description_matches_scipy():
    """Mean, std, t interval, median and IQM are scipy's on the same values."""
    x = [0.912, 0.925, 0.931, 0.904, 0.918]
    d = describe(x)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert d.n == 5
    assert d.mean == pytest.approx(np.mean(x), abs=1e-12)
    assert d.std == pytest.approx(np.std(x, ddof=1), abs=1e-12)
    assert d.sem == pytest.approx(stats.sem(x), abs=1e-12)
    assert (d.ci_low, d.ci_high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
    assert d.median == np.median(x)
    assert d.iqm == pytest.approx(stats.trim_mean(x, 0.25), abs=1e-12)


def test_bootstrap_is_seeded():
    """The bootstrap interval is reproducible for a seed and brackets the mean."""
    x = [1.0, 2.0, 4.0, 3.5, 2.5, 3.0]
    a, b = describe(x, bootstrap=2000, seed=7), describe(x, bootstrap=2000, seed=7)
    assert (a.bootstrap_low, a.bootstrap_high) == (b.bootstrap_low, b.bootstrap_high)
    assert a.bootstrap_low < a.mean < a.bootstrap_high


def test_welch_matches_scipy():
    """Welch's p-value and the interval of the difference are scipy's."""
    leader, other = [0.92, 0.93, 0.95, 0.91], [0.90, 0.915, 0.92, 0.88, 0.905]
    v = versus(leader, other, "max")
    result = stats.ttest_ind(other, leader, equal_var=False)
    interval = result.confidence_interval(0.95)
    assert v.p_value == pytest.approx(result.pvalue, abs=1e-9)
    assert v.ci_low == pytest.approx(interval.low, abs=1e-9)
    assert v.ci_high == pytest.approx(interval.high, abs=1e-9)
    assert v.difference == pytest.approx(np.mean(other) - np.mean(leader), abs=1e-12)
    assert v.probability_of_improvement == pytest.approx(_poi(leader, other), abs=1e-12)


def test_probability_of_improvement_follows_the_mode():
    """For a metric to minimise, the leader improves when it is lower."""
    leader, other = [0.1, 0.2, 0.2], [0.2, 0.3, 0.4]
    v = versus(leader, other, "min")
    assert v.probability_of_improvement == pytest.approx(
        _poi([-a for a in leader], [-b for b in other])
    )


def test_not_separated_says_how_many_more_trials():
    """Close settings are not separated, with a count of trials from a power analysis."""
    v = versus([0.90, 0.93, 0.92], [0.91, 0.90, 0.92], "max")
    assert not v.separated and v.p_value > 0.05
    assert v.more_trials is not None and v.more_trials >= 1
    assert f"about {v.more_trials} more trials" in v.verdict
    one = versus([0.935, 0.985, 0.911], [0.891, 0.865, 0.867], "max")
    assert one.more_trials == 1 and "about 1 more trial per setting" in one.verdict


def test_trials_needed_matches_the_textbook():
    """d = 0.5 needs 64 per group at 80% power (Cohen's table), d = 0.8 needs 26."""
    assert trials_needed(0.5) == 64
    assert trials_needed(0.8) == 26
    assert trials_needed(0.0) == 0


def test_single_trials_and_ties_are_words_not_numbers():
    """One trial has no spread; identical values are a tie, never '+0 ahead'."""
    single = versus([0.9], [0.8, 0.85], "max")
    assert not single.separated and "one trial" in single.verdict
    assert math.isnan(single.p_value)
    tie = versus([0.5, 0.5], [0.5, 0.5], "max")
    assert tie.verdict == "tied with the leader" and not tie.separated


def test_nan_is_left_out_and_infinity_is_ranked_only():
    """A NaN trial counts as missing; infinite values are ranked but not tested."""
    assert describe([1.0, math.nan, 2.0]).n == 2
    v = versus([math.inf, 1.0], [0.5, 0.6], "max")
    assert math.isnan(v.p_value) and "infinite" in v.verdict
    assert v.probability_of_improvement == pytest.approx(_poi([math.inf, 1.0], [0.5, 0.6]))
    assert versus([], [1.0], "max").verdict == "no value to compare"


@given(st.lists(finite, min_size=1, max_size=12))
def test_interval_contains_the_mean(values):
    """Any finite sample: the interval brackets the mean (or is NaN for one value)."""
    d = describe(values)
    if d.n < 2:
        assert math.isnan(d.ci_low)
    else:
        assert d.ci_low <= d.mean + 1e-6 * (1 + abs(d.mean))
        assert d.mean <= d.ci_high + 1e-6 * (1 + abs(d.mean))


@given(st.lists(finite, min_size=1, max_size=8), st.lists(finite, min_size=1, max_size=8))
def test_comparison_is_always_well_formed(leader, other):
    """Any two samples: a probability in [0, 1], a p-value in [0, 1] or NaN, a verdict."""
    v = versus(leader, other, "max")
    assert 0 <= v.probability_of_improvement <= 1
    assert math.isnan(v.p_value) or 0 <= v.p_value <= 1
    assert v.verdict
    if v.separated:
        assert v.more_trials == 0


def _trials_needed_by_loop(d):
    """The definition, one n after another."""
    for n in range(2, 10_001):
        df, crit = 2 * n - 2, stats.t.ppf(0.975, 2 * n - 2)
        nc = d * math.sqrt(n / 2)
        if stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc) >= 0.8:
            return n
    return 10_000


@given(st.floats(0.15, 6.0))
def test_trials_needed_is_the_smallest_n_reaching_the_power(d):
    """The fast search finds the n the plain loop over n finds."""
    assert trials_needed(d) == _trials_needed_by_loop(d) == trials_needed(-d)


def test_the_shared_field_names_are_the_dataclasses_floats():
    """``kuro.core.comparison`` names exactly the float fields the statistics produce."""
    from dataclasses import fields

    from kuro.core.comparison import DESCRIPTION_FLOATS, VERSUS_FLOATS
    from kuro.core.statistics import Description, Versus

    floats = {f.name for f in fields(Description) if f.type == "float"}
    assert set(DESCRIPTION_FLOATS) == floats
    assert set(VERSUS_FLOATS) == {f.name for f in fields(Versus) if f.type == "float"}


def _same(a, b):
    """Equal, NaN equal to NaN: the batch must give the very numbers, not close ones."""
    return a == b or (
        isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    )


samples = st.lists(
    st.one_of(finite, st.sampled_from([0.1, 0.2, 0.0, math.nan, math.inf])), max_size=20
)


@given(st.lists(samples, max_size=12))
def test_many_descriptions_are_scipys_numbers_exactly(values):
    """Samples of mixed lengths described together: numpy's and scipy's own numbers, bit
    for bit (mean, median, sample std, trimmed mean, the t interval of each sample)."""
    for x, d in zip(values, describe_many(values), strict=True):
        kept = np.array([v for v in x if not math.isnan(v)])
        assert d.n == len(kept)
        if not d.n:
            assert math.isnan(d.mean)
            continue
        with np.errstate(all="ignore"):
            assert _same(d.mean, float(np.mean(kept)))
            assert _same(d.median, float(np.median(kept)))
            assert _same(d.iqm, float(stats.trim_mean(kept, 0.25)))
            if d.n > 1 and math.isfinite(d.sem):
                assert d.std == float(np.std(kept, ddof=1))
                half = float(stats.t.ppf(0.975, d.n - 1)) * (d.std / math.sqrt(d.n))
                assert (d.ci_low, d.ci_high) == (d.mean - half, d.mean + half)


def test_many_descriptions_seed_each_bootstrap():
    """``seeds[i]`` seeds sample i's bootstrap, as ``describe(..., seed=)`` does."""
    values = [[1.0, 2.0, 4.0, 3.5], [0.5, 0.7, 0.2], [3.0]]
    many = describe_many(values, bootstrap=300, seeds=[3, 4, 5])
    assert many == [
        describe(x, bootstrap=300, seed=s) for x, s in zip(values, [3, 4, 5], strict=True)
    ]


@given(samples, st.lists(samples, max_size=10), st.sampled_from(["max", "min"]))
def test_many_comparisons_are_each_comparison(leader, others, mode):
    """``versus_many`` gives what ``versus`` gives for each setting alone."""
    for other, v in zip(others, versus_many(leader, others, mode), strict=True):
        alone = versus(leader, other, mode).as_dict()
        assert all(_same(a, b) for a, b in zip(alone.values(), v.as_dict().values(), strict=True))


@given(
    st.lists(finite, min_size=1, max_size=8),
    st.lists(st.lists(finite, min_size=1, max_size=8), min_size=1, max_size=8),
)
def test_many_probabilities_of_improvement_are_mann_whitney_exactly(leader, others):
    """P(leader better) is scipy's Mann-Whitney U over n1 * n2, the same float."""
    for other, v in zip(others, versus_many(leader, others, "max"), strict=True):
        u = stats.mannwhitneyu(leader, other, alternative="two-sided").statistic
        assert v.probability_of_improvement == float(u) / (len(leader) * len(other))


def test_many_welch_tests_match_scipy():
    """Welch's p-values and intervals of many settings against one leader are scipy's."""
    rng = np.random.default_rng(5)
    leader = list(rng.normal(0.9, 0.02, 5))
    others = [list(rng.normal(0.88 + 0.005 * i, 0.02, 3 + i % 4)) for i in range(12)]
    for other, v in zip(others, versus_many(leader, others, "max"), strict=True):
        result = stats.ttest_ind(other, leader, equal_var=False)
        interval = result.confidence_interval(0.95)
        assert v.p_value == pytest.approx(result.pvalue, rel=1e-9)
        assert (v.ci_low, v.ci_high) == (
            pytest.approx(interval.low, rel=1e-9),
            pytest.approx(interval.high, rel=1e-9),
        )


@given(st.lists(st.one_of(st.floats(-6.0, 6.0), st.just(0.0), st.just(math.inf)), max_size=8))
def test_many_trials_needed_are_each_search(effects):
    """Searching many effects together finds the n each search finds alone."""
    assert trials_needed_many(effects) == [trials_needed(e) for e in effects]


def test_a_vanishing_effect_needs_the_most_trials():
    """An effect too small to square is at the cap, not an overflow."""
    assert trials_needed(1e-200) == 10_000


def test_rank_compares_every_setting_with_the_leader():
    """Each row's ``versus_leader`` is ``versus`` of its values against the leader's."""
    rows = [
        {"k": str(i), "mean": float(np.mean(x)), "values": x}
        for i, x in enumerate([[0.8, 0.82, 0.81], [0.9, 0.91, 0.93], [0.85, 0.9, 0.8], [0.7]])
    ]
    leader = rank(rows, "max", tie="k")
    assert leader is rows[0] and rows[0]["versus_leader"] is None
    for row in rows[1:]:
        assert row["versus_leader"] == versus(leader["values"], row["values"], "max").as_dict()


@given(samples, samples, st.sampled_from(["max", "min"]))
def test_any_comparison_is_well_formed(leader, other, mode):
    """Any two samples, NaN and infinities included: probabilities and p-values in [0, 1]
    (NaN when there is nothing to test), a verdict in words, a trial count only for a
    difference not yet separated, and never a difference of zero called anything but a tie
    (or left untested for one trial or infinite values)."""
    v = versus(leader, other, mode)
    assert v.verdict
    for p in (v.probability_of_improvement, v.p_value):
        assert math.isnan(p) or 0 <= p <= 1
    if v.separated:
        assert v.more_trials == 0 and v.difference != 0
    if v.more_trials:
        assert not v.separated and "more" in v.verdict
    if v.difference == 0 and not v.separated:
        assert "tied" in v.verdict or "one trial" in v.verdict or "infinite" in v.verdict


@given(st.lists(finite, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_the_same_values_in_any_order_are_a_tie(values, random):
    """Identical trials in another order: their means may differ by rounding, but the
    answer is a tie (or one trial), never a difference or a count of trials to run."""
    shuffled = list(values)
    random.shuffle(shuffled)
    v = versus(values, shuffled, "max")
    assert v.difference == 0 and not v.separated and v.more_trials is None
    assert "tied" in v.verdict or "one trial" in v.verdict


@given(samples, st.sampled_from(["max", "min"]))
def test_one_setting_only_is_the_leader_or_has_no_value(values, mode):
    """A group of one setting: it leads when it has a value, with nothing to compare."""
    finite_mean = [v for v in values if not math.isnan(v)]
    row = {"key": "only", "mean": float(np.mean(finite_mean)) if finite_mean else math.nan}
    row["values"] = values
    with np.errstate(all="ignore"):
        leader = rank([row], mode, tie="key")
    assert row["rank"] == 1 and row["versus_leader"] is None
    assert (leader is row) == (not math.isnan(row["mean"]))


def test_rounding_is_a_tie_and_a_capped_count_says_so():
    """0.1 + 0.2 against 0.3 is a tie, and so are values whose sums cancel, in another
    order; a difference too small for 10,000 trials says "or more", not a count the search
    stopped at."""
    tie = versus([0.3, 0.4, 0.35], [0.1 + 0.2, 0.4, 0.35], "max")
    assert tie.difference == 0 and tie.more_trials is None and "tied" in tie.verdict
    tiny = versus([0.5, 0.52, 0.51], [0.5, 0.5201, 0.51], "max")
    assert not tiny.separated
    assert "10,000 or more trials per setting" in tiny.verdict and "about" not in tiny.verdict
    for values in ([0.1, 0.2, -0.3], [1e16, 1.0, -1e16]):
        cancelled = versus(values, values[::-1], "max")
        assert cancelled.difference == 0 and "tied" in cancelled.verdict
