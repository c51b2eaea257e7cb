"""Statistics of repeated trials: how good a setting is, and whether it is really ahead.

One module for the API, the CLI, the dashboard and sweeps. It needs numpy and scipy (the
server's extra); the light client never imports it.

Anchors: Agarwal et al., "Deep RL at the Edge of the Statistical Precipice" (NeurIPS 2021,
``rliable``: interquartile mean, bootstrap intervals, probability of improvement);
Henderson et al., "Deep RL that Matters" (AAAI 2018: Welch's t-test over seeds); Colas et
al., "How Many Random Seeds?" (2018: power analysis for the number of seeds).

- ``describe(values)``: n, mean, std, standard error, the 95% interval of the mean (Student
  t), median, interquartile mean, and optionally a seeded percentile-bootstrap interval.
- ``versus(leader, other, mode)``: the other setting against the leader: the difference of
  means with its 95% Welch interval, Welch's p-value, the probability that the leader beats
  the other (the Mann-Whitney statistic over ``n1 * n2``, ties counting half, as rliable
  defines it), and a verdict in words.

NaN values (a trial without the metric) are left out; infinities are real values, but a
mean that is infinite has no interval and no test.

>>> d = describe([0.91, 0.93, 0.92])
>>> d.n, round(d.mean, 4), round(d.ci_low, 4), round(d.ci_high, 4)
(3, 0.92, 0.8952, 0.9448)
>>> v = versus([0.91, 0.93, 0.92], [0.80, 0.82, 0.81], "max")
>>> v.separated, round(v.difference, 4), v.probability_of_improvement
(True, -0.11, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from kuro.core.modes import Mode

__all__ = [
    "CONFIDENCE",
    "POWER",
    "Description",
    "Versus",
    "describe",
    "rank",
    "trials_needed",
    "versus",
]

CONFIDENCE = 0.95
"""The level of every interval and of the significance test (alpha = 0.05)."""
POWER = 0.8
"""The power at which ``trials_needed`` would tell two settings apart."""
_MAX_TRIALS = 10_000

_NAN = math.nan


def _clean(values: Sequence[float]) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    kept: NDArray[np.float64] = array[~np.isnan(array)]
    return kept


@dataclass(frozen=True)
class Description:
    """One setting's per-trial values, summarised. Fields without a value are NaN (an
    interval needs two finite values)."""

    n: int
    mean: float
    std: float
    sem: float
    ci_low: float
    ci_high: float
    median: float
    iqm: float
    bootstrap_low: float = _NAN
    bootstrap_high: float = _NAN

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(values: Sequence[float], *, bootstrap: int = 0, seed: int = 0) -> Description:
    """Summarise per-trial values; with ``bootstrap`` resamples, also a percentile-bootstrap
    interval of the mean, reproducible for a given ``seed``."""
    # Values near the float limits overflow in sums and squares: the result is then an
    # infinite mean or spread (no interval), not a warning in the server's log.
    with np.errstate(all="ignore"):
        return _describe(_clean(values), bootstrap, seed)


def _describe(x: NDArray[np.float64], bootstrap: int, seed: int) -> Description:
    n = len(x)
    if n == 0:
        return Description(0, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)
    mean = float(np.mean(x))
    median = float(np.median(x))
    iqm = float(stats.trim_mean(x, 0.25))
    std = float(np.std(x, ddof=1)) if n > 1 else _NAN
    if n < 2 or not np.all(np.isfinite(x)) or not math.isfinite(mean) or not math.isfinite(std):
        return Description(n, mean, _NAN, _NAN, _NAN, _NAN, median, iqm)
    sem = std / math.sqrt(n)
    half = float(stats.t.ppf((1 + CONFIDENCE) / 2, n - 1)) * sem
    low, high = mean - half, mean + half
    boot_low = boot_high = _NAN
    if bootstrap and std > 0:
        result = stats.bootstrap(
            (x,),
            np.mean,
            n_resamples=bootstrap,
            confidence_level=CONFIDENCE,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        boot_low = float(result.confidence_interval.low)
        boot_high = float(result.confidence_interval.high)
    elif bootstrap:
        boot_low = boot_high = mean
    return Description(n, mean, std, sem, low, high, median, iqm, boot_low, boot_high)


def _power(n: NDArray[np.int64], d: float, alpha: float) -> NDArray[np.float64]:
    """Power of a two-sided two-sample t-test with ``n`` trials per setting, effect ``d``."""
    df = 2 * n - 2
    crit = stats.t.ppf(1 - alpha / 2, df)
    nc = d * np.sqrt(n / 2)
    power: NDArray[np.float64] = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
    return power


def trials_needed(effect: float, *, power: float = POWER, alpha: float = 1 - CONFIDENCE) -> int:
    """Trials per setting for a two-sided two-sample t-test to detect a standardised
    difference ``effect`` (Cohen's d) with ``power``: the smallest n whose noncentral-t
    power reaches it (at most 10,000; 0 for no difference at all).

    The normal approximation, n = 2 ((z_a/2 + z_b) / d)^2, is a lower bound; the exact n is
    found among the few above it, in one vectorised evaluation (a loop over n took seconds
    for small effects).
    """
    d = abs(effect)
    if not d > 0:
        return 0
    if not math.isfinite(d):
        return 2
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    low = max(2, math.floor(2 * (z / d) ** 2))
    while low <= _MAX_TRIALS:
        high = min(_MAX_TRIALS, low + 32 + low // 8)
        candidates = np.arange(low, high + 1)
        reached = np.nonzero(_power(candidates, d, alpha) >= power)[0]
        if len(reached):
            return int(candidates[reached[0]])
        low = high + 1
    return _MAX_TRIALS


@dataclass(frozen=True)
class Versus:
    """A setting against the leader. ``difference`` is the other's mean minus the leader's
    (in the metric's units: negative is behind for ``max``, positive for ``min``), with its
    95% Welch interval; ``p_value`` is Welch's t-test; ``probability_of_improvement`` is
    P(leader's trial beats the other's); ``separated`` when the test rejects equal means at
    alpha 0.05; ``more_trials`` per setting that would tell them apart at 80% power when
    not (None when it cannot be said)."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    probability_of_improvement: float
    separated: bool
    more_trials: int | None
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _probability_of_improvement(
    leader: NDArray[np.float64], other: NDArray[np.float64], mode: Mode
) -> float:
    better, worse = (leader, other) if mode == "max" else (-leader, -other)
    u = stats.mannwhitneyu(better, worse, alternative="two-sided").statistic
    return float(u) / (len(leader) * len(other))


def versus(leader: Sequence[float], other: Sequence[float], mode: Mode) -> Versus:
    """Compare ``other``'s per-trial values with the ``leader``'s; see ``Versus``."""
    with np.errstate(all="ignore"):
        return _versus(_clean(leader), _clean(other), mode)


def _versus(x: NDArray[np.float64], y: NDArray[np.float64], mode: Mode) -> Versus:
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return Versus(_NAN, _NAN, _NAN, _NAN, _NAN, False, None, "no value to compare")
    difference = float(np.mean(y) - np.mean(x))
    improvement = _probability_of_improvement(x, y, mode)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        words = "infinite values: the means cannot be tested, only ranked"
        return Versus(difference, _NAN, _NAN, _NAN, improvement, False, None, words)
    if n1 < 2 or n2 < 2:
        lonely = "the leader has" if n1 < 2 else "this setting has"
        words = f"not separated yet: {lonely} one trial, so its spread is unknown"
        return Versus(difference, _NAN, _NAN, _NAN, improvement, False, None, words)
    v1, v2 = float(np.var(x, ddof=1)), float(np.var(y, ddof=1))
    se = math.sqrt(v1 / n1 + v2 / n2)
    if not (math.isfinite(difference) and math.isfinite(se)):
        words = "values too large to test: the means can only be ranked"
        return Versus(difference, _NAN, _NAN, _NAN, improvement, False, None, words)
    if se == 0:
        if difference == 0:
            return Versus(0.0, 0.0, 0.0, 1.0, improvement, False, None, "tied with the leader")
        words = "separated: every trial of each setting gave the same value"
        return Versus(difference, difference, difference, 0.0, improvement, True, 0, words)
    # Welch-Satterthwaite degrees of freedom, on the variances of the means scaled by the
    # larger one: tiny spreads would otherwise underflow to 0 / 0.
    a, b = v1 / n1, v2 / n2
    a, b = a / max(a, b), b / max(a, b)
    df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    half = float(stats.t.ppf((1 + CONFIDENCE) / 2, df)) * se
    # Welch's t-test, as scipy.stats.ttest_ind(equal_var=False) computes it (without its
    # warning for nearly identical samples, which are a tie here, not a fault).
    p_value = float(2 * stats.t.sf(abs(difference) / se, df))
    if p_value < 1 - CONFIDENCE:
        words = f"separated (Welch p = {p_value:.2g})"
        return Versus(
            difference, difference - half, difference + half, p_value, improvement, True, 0, words
        )
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    if difference == 0:
        words = "tied with the leader on the mean; more trials would not separate them"
        more = None
    else:
        # The observed difference as the effect to detect; at least one more trial, since
        # the ones there did not separate them.
        more = max(1, trials_needed(difference / pooled) - min(n1, n2))
        words = (
            f"not separated yet (Welch p = {p_value:.2g}): about {more} more trials per "
            f"setting would tell them apart at {POWER:.0%} power"
        )
    return Versus(
        difference, difference - half, difference + half, p_value, improvement, False, more, words
    )


def rank(rows: list[dict[str, Any]], mode: Mode, *, tie: str) -> dict[str, Any] | None:
    """Sort settings in place by mean, best first under ``mode`` (no value last, ties by the
    ``tie`` field), number them (``rank`` from 1), and compare each with the leader
    (``versus_leader``: ``versus(...).as_dict()``, None for the leader and when there is
    none). Each row has ``mean`` and ``values``; answers the leader row, or None.

    >>> rows = [{"k": "a", "mean": 0.8, "values": [0.8, 0.8]},
    ...         {"k": "b", "mean": 0.9, "values": [0.9, 0.9]}]
    >>> rank(rows, "max", tie="k")["k"], [(r["k"], r["rank"]) for r in rows]
    ('b', [('b', 1), ('a', 2)])
    """

    def key(row: dict[str, Any]) -> tuple[float, Any]:
        mean = row["mean"]
        if math.isnan(mean):
            return (math.inf, row[tie])
        return (-mean if mode == "max" else mean, row[tie])

    rows.sort(key=key)
    leader = rows[0] if rows and not math.isnan(rows[0]["mean"]) else None
    for number, row in enumerate(rows, start=1):
        row["rank"] = number
        row["versus_leader"] = (
            None
            if leader is None or row is leader
            else versus(leader["values"], row["values"], mode).as_dict()
        )
    return leader
