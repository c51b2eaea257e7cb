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
- ``describe_many``, ``versus_many``, ``trials_needed_many``: the same numbers for many
  settings at once, in a few vectorised calls (a group's hundreds of settings are ranked
  and tested against the leader in milliseconds, not seconds); ``rank`` uses them.

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
from dataclasses import dataclass, fields, replace
from functools import lru_cache
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
    "describe_many",
    "rank",
    "trials_needed",
    "trials_needed_many",
    "versus",
    "versus_many",
]

CONFIDENCE = 0.95
"""The level of every interval and of the significance test (alpha = 0.05)."""
POWER = 0.8
"""The power at which ``trials_needed`` would tell two settings apart."""
_MAX_TRIALS = 10_000
# A difference of two means within this many units in the last place of the values' mean
# size, per value averaged, is rounding, not a difference: the two are tied (the same values
# in another order, or 0.1 + 0.2 against 0.3). A sum of n values is off by at most about
# n ulps of their mean size.
_ROUNDING_ULPS = 4

_NAN = math.nan


def _clean(values: Sequence[float]) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    kept: NDArray[np.float64] = array[~np.isnan(array)]
    return kept


def _by_length(arrays: Sequence[NDArray[np.float64]]) -> dict[int, list[int]]:
    """Sample length -> the indices of the samples of that length.

    Samples of one length are stacked and reduced along their rows: numpy reduces each
    row of a C-contiguous matrix as it reduces a 1-D array of the same values, so every
    number is the one the sample alone would give, at a fraction of the calls.
    """
    out: dict[int, list[int]] = {}
    for i, x in enumerate(arrays):
        out.setdefault(len(x), []).append(i)
    return out


@lru_cache(maxsize=1024)
def _t_critical(df: int) -> float:
    """The two-sided ``CONFIDENCE`` quantile of Student's t with ``df`` degrees of freedom."""
    return float(stats.t.ppf((1 + CONFIDENCE) / 2, df))


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
        return {name: getattr(self, name) for name in _DESCRIPTION_FIELDS}


_DESCRIPTION_FIELDS = tuple(f.name for f in fields(Description))


def describe(values: Sequence[float], *, bootstrap: int = 0, seed: int = 0) -> Description:
    """Summarise per-trial values; with ``bootstrap`` resamples, also a percentile-bootstrap
    interval of the mean, reproducible for a given ``seed``."""
    return describe_many([values], bootstrap=bootstrap, seeds=[seed])[0]


def describe_many(
    samples: Sequence[Sequence[float]],
    *,
    bootstrap: int = 0,
    seeds: Sequence[int] | None = None,
) -> list[Description]:
    """``describe`` of each sample (``seeds[i]`` seeding the bootstrap of sample ``i``, 0
    when not given), the same numbers in a few vectorised calls per sample length: a
    group's hundreds of settings cost about what one does.

    >>> [round(d.mean, 3) for d in describe_many([[1.0, 2.0], [0.5, math.nan, 1.5], []])]
    [1.5, 1.0, nan]
    """
    # Values near the float limits overflow in sums and squares: the result is then an
    # infinite mean or spread (no interval), not a warning in the server's log.
    with np.errstate(all="ignore"):
        arrays = [_clean(values) for values in samples]
        out: list[Description] = [_EMPTY] * len(arrays)
        for n, indices in _by_length(arrays).items():
            if n == 0:
                continue
            for i, description in zip(
                indices, _describe_rows(np.stack([arrays[i] for i in indices])), strict=True
            ):
                out[i] = description
        if bootstrap:
            for i, (x, d) in enumerate(zip(arrays, out, strict=True)):
                if d.n:
                    out[i] = _with_bootstrap(x, d, bootstrap, seeds[i] if seeds else 0)
        return out


_EMPTY = Description(0, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN, _NAN)


def _describe_rows(x: NDArray[np.float64]) -> list[Description]:
    """``Description`` of each row of ``x`` (rows of one length ``n`` >= 1), without the
    bootstrap: scipy's ``trim_mean`` (a partition, then the mean of the middle) and numpy's
    mean, median and sample standard deviation, row by row."""
    n = x.shape[1]
    means = np.mean(x, axis=1).tolist()
    medians = np.median(x, axis=1).tolist()
    cut = int(0.25 * n)
    middle = np.partition(x, (cut, n - cut - 1), axis=1)[:, cut : n - cut]
    iqms = np.mean(middle, axis=1).tolist()
    if n < 2:
        return [
            Description(n, mean, _NAN, _NAN, _NAN, _NAN, median, iqm)
            for mean, median, iqm in zip(means, medians, iqms, strict=True)
        ]
    stds = np.std(x, ddof=1, axis=1).tolist()
    finite: list[bool] = np.logical_and.reduce(np.isfinite(x), axis=1).tolist()
    root, critical = math.sqrt(n), _t_critical(n - 1)
    out = []
    for mean, median, iqm, std, ok in zip(means, medians, iqms, stds, finite, strict=True):
        if not ok or not math.isfinite(mean) or not math.isfinite(std):
            out.append(Description(n, mean, _NAN, _NAN, _NAN, _NAN, median, iqm))
            continue
        sem = std / root
        half = critical * sem
        out.append(Description(n, mean, std, sem, mean - half, mean + half, median, iqm))
    return out


def _with_bootstrap(
    x: NDArray[np.float64], d: Description, resamples: int, seed: int
) -> Description:
    """``d`` with the seeded percentile-bootstrap interval of the mean of ``x``."""
    if math.isnan(d.sem):  # no interval (one value, or infinite ones): no bootstrap either
        return d
    if d.std > 0:
        result = stats.bootstrap(
            (x,),
            np.mean,
            n_resamples=resamples,
            confidence_level=CONFIDENCE,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        low = float(result.confidence_interval.low)
        high = float(result.confidence_interval.high)
    else:
        low = high = d.mean
    return replace(d, bootstrap_low=low, bootstrap_high=high)


def _power(n: NDArray[np.int64], d: NDArray[np.float64], alpha: float) -> NDArray[np.float64]:
    """Power of a two-sided two-sample t-test with ``n`` trials per setting, effect ``d``
    (element by element)."""
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
    found among the few above it (``trials_needed_many``).
    """
    return trials_needed_many([effect], power=power, alpha=alpha)[0]


_FIRST_LOOK = 4
"""Candidates first tried above the normal approximation: the answer is nearly always
among them."""


def trials_needed_many(
    effects: Sequence[float], *, power: float = POWER, alpha: float = 1 - CONFIDENCE
) -> list[int]:
    """``trials_needed`` of each effect, the candidates of every effect tried in one
    vectorised evaluation per round (a loop over n took seconds for small effects, and a
    call per effect a second for a group's hundreds of settings).

    The answer is the first n from the normal approximation up whose power reaches
    ``power``; the power of one (n, d) does not depend on what else is evaluated with it,
    so the rounds find the n a plain loop over n finds.
    """
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    out: list[int] = [0] * len(effects)
    # index -> (d, the next n to try)
    pending: dict[int, tuple[float, int]] = {}
    for i, effect in enumerate(effects):
        d = abs(effect)
        if not d > 0:
            continue
        if not math.isfinite(d):
            out[i] = 2
            continue
        try:
            low = max(2, math.floor(2 * (z / d) ** 2))
        except OverflowError:  # an effect so small that no number of trials would do
            low = _MAX_TRIALS + 1
        if low > _MAX_TRIALS:
            out[i] = _MAX_TRIALS
            continue
        pending[i] = (d, low)
    width = _FIRST_LOOK
    while pending:
        ids: list[int] = []
        ns: list[int] = []
        ds: list[float] = []
        for i, (d, low) in pending.items():
            high = min(_MAX_TRIALS, low + width - 1)
            ids.extend([i] * (high - low + 1))
            ns.extend(range(low, high + 1))
            ds.extend([d] * (high - low + 1))
        candidates = np.asarray(ns, dtype=np.int64)
        reached = (_power(candidates, np.asarray(ds), alpha) >= power).tolist()
        found: set[int] = set()
        for i, n, ok in zip(ids, ns, reached, strict=True):
            if ok and i not in found:
                out[i] = n
                found.add(i)
        for i, (d, low) in list(pending.items()):
            high = min(_MAX_TRIALS, low + width - 1)
            if i in found:
                del pending[i]
            elif high >= _MAX_TRIALS:
                out[i] = _MAX_TRIALS
                del pending[i]
            else:
                pending[i] = (d, high + 1)
        width = 32 + max((low // 8 for _, low in pending.values()), default=0)
    return out


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
        return {name: getattr(self, name) for name in _VERSUS_FIELDS}


_VERSUS_FIELDS = tuple(f.name for f in fields(Versus))


def versus(leader: Sequence[float], other: Sequence[float], mode: Mode) -> Versus:
    """Compare ``other``'s per-trial values with the ``leader``'s; see ``Versus``."""
    return versus_many(leader, [other], mode)[0]


def _improvements(x: NDArray[np.float64], ys: NDArray[np.float64], mode: Mode) -> list[float]:
    """P(a trial of the leader ``x`` beats one of each row of ``ys``): the Mann-Whitney U
    of the leader (as ``scipy.stats.mannwhitneyu`` gives it: its rank sum less
    n1 (n1 + 1) / 2, ties counting half) over ``n1 * n2``. U is counted exactly: the
    pairs the leader wins, and half the tied ones."""
    ordered = np.sort(x)
    below = np.searchsorted(ordered, ys, side="left")  # leader values below each y
    upto = np.searchsorted(ordered, ys, side="right")
    ties = (upto - below).sum(axis=1)
    wins = (len(x) - upto).sum(axis=1) if mode == "max" else below.sum(axis=1)
    pairs = len(x) * ys.shape[1]
    return [float(w + 0.5 * t) / pairs for w, t in zip(wins.tolist(), ties.tolist(), strict=True)]


def versus_many(
    leader: Sequence[float], others: Sequence[Sequence[float]], mode: Mode
) -> list[Versus]:
    """``versus(leader, other, mode)`` for each of ``others``: the same numbers, with the
    means, variances, rank statistics and t distributions of all of them in a few
    vectorised calls."""
    with np.errstate(all="ignore"):
        return _versus_many(_clean(leader), [_clean(o) for o in others], mode)


def _versus_many(x: NDArray[np.float64], ys: list[NDArray[np.float64]], mode: Mode) -> list[Versus]:
    n1 = len(x)
    k = len(ys)
    if n1 == 0:
        return [_NO_VALUE] * k
    leader_mean = float(np.mean(x))
    leader_size = float(np.mean(np.abs(x)))
    leader_finite = bool(np.all(np.isfinite(x)))
    v1 = float(np.var(x, ddof=1)) if n1 > 1 else _NAN
    means: list[float] = [_NAN] * k
    variances: list[float] = [_NAN] * k
    finite: list[bool] = [False] * k
    improvement: list[float] = [_NAN] * k
    for n2, indices in _by_length(ys).items():
        if n2 == 0:
            continue
        y = np.stack([ys[i] for i in indices])
        finite_rows: list[bool] = np.logical_and.reduce(np.isfinite(y), axis=1).tolist()
        rows = zip(
            indices,
            (np.mean(y, axis=1) - leader_mean).tolist(),
            (np.var(y, ddof=1, axis=1) if n2 > 1 else np.full(len(indices), _NAN)).tolist(),
            finite_rows,
            _improvements(x, y, mode),
            np.mean(np.abs(y), axis=1).tolist(),
            strict=True,
        )
        for i, difference, variance, ok, chance, size in rows:
            if _rounding(difference, max(leader_size, size), max(n1, n2)):
                difference = 0.0
            means[i], variances[i], finite[i], improvement[i] = difference, variance, ok, chance
    out: list[Versus | None] = [None] * k
    tested: list[tuple[int, float, float, float]] = []  # (index, difference, se, df)
    for i, y in enumerate(ys):
        n2 = len(y)
        difference = means[i]
        if n2 == 0:
            out[i] = _NO_VALUE
        elif not (leader_finite and finite[i]):
            words = "infinite values: the means cannot be tested, only ranked"
            out[i] = Versus(difference, _NAN, _NAN, _NAN, improvement[i], False, None, words)
        elif n1 < 2 or n2 < 2:
            lonely = "the leader has" if n1 < 2 else "this setting has"
            words = f"not separated yet: {lonely} one trial, so its spread is unknown"
            out[i] = Versus(difference, _NAN, _NAN, _NAN, improvement[i], False, None, words)
        else:
            v2 = variances[i]
            se = math.sqrt(v1 / n1 + v2 / n2)
            if not (math.isfinite(difference) and math.isfinite(se)):
                words = "values too large to test: the means can only be ranked"
                out[i] = Versus(difference, _NAN, _NAN, _NAN, improvement[i], False, None, words)
            elif se == 0:
                if difference == 0:
                    words = "tied with the leader"
                    out[i] = Versus(0.0, 0.0, 0.0, 1.0, improvement[i], False, None, words)
                else:
                    words = "separated: every trial of each setting gave the same value"
                    out[i] = Versus(
                        difference, difference, difference, 0.0, improvement[i], True, 0, words
                    )
            else:
                # Welch-Satterthwaite degrees of freedom, on the variances of the means
                # scaled by the larger one: tiny spreads would otherwise underflow to 0 / 0.
                a, b = v1 / n1, v2 / n2
                a, b = a / max(a, b), b / max(a, b)
                df = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
                tested.append((i, difference, se, df))
    if tested:
        dfs = np.asarray([df for *_, df in tested])
        halves = (stats.t.ppf((1 + CONFIDENCE) / 2, dfs) * [se for _, _, se, _ in tested]).tolist()
        # Welch's t-test, as scipy.stats.ttest_ind(equal_var=False) computes it (without its
        # warning for nearly identical samples, which are a tie here, not a fault).
        t_values = np.asarray([abs(difference) / se for _, difference, se, _ in tested])
        p_values = (2 * stats.t.sf(t_values, dfs)).tolist()
        effects: list[tuple[int, float]] = []
        for (i, difference, _, _), half, p_value in zip(tested, halves, p_values, strict=True):
            low, high = difference - half, difference + half
            if p_value < 1 - CONFIDENCE:
                words = f"separated (Welch p = {p_value:.2g})"
                out[i] = Versus(difference, low, high, p_value, improvement[i], True, 0, words)
            elif difference == 0:
                words = "tied with the leader on the mean; more trials would not separate them"
                out[i] = Versus(difference, low, high, p_value, improvement[i], False, None, words)
            else:
                v2, n2 = variances[i], len(ys[i])
                pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
                # The observed difference as the effect to detect.
                effects.append((i, difference / pooled))
                out[i] = Versus(difference, low, high, p_value, improvement[i], False, None, "")
        needed = trials_needed_many([effect for _, effect in effects])
        for (i, _), trials in zip(effects, needed, strict=True):
            # At least one more trial, since the ones there did not separate them.
            more = max(1, trials - min(n1, len(ys[i])))
            partial = out[i]
            assert partial is not None
            if trials >= _MAX_TRIALS:  # the search stops there: the count may be larger
                words = (
                    f"not separated yet (Welch p = {partial.p_value:.2g}): {_MAX_TRIALS:,} "
                    f"or more trials per setting would be needed to tell them apart at "
                    f"{POWER:.0%} power; the difference is small next to the spread"
                )
            else:
                words = (
                    f"not separated yet (Welch p = {partial.p_value:.2g}): about {more} more "
                    f"{'trial' if more == 1 else 'trials'} per setting would tell them apart "
                    f"at {POWER:.0%} power"
                )
            out[i] = replace(partial, more_trials=more, verdict=words)
    return [v for v in out if v is not None]


def _rounding(difference: float, size: float, n: int) -> bool:
    """Whether ``difference`` between two means of at most ``n`` values, whose mean size
    (absolute value) is at most ``size``, is only floating-point rounding."""
    if difference == 0 or not (math.isfinite(difference) and math.isfinite(size)):
        return False
    return abs(difference) <= _ROUNDING_ULPS * n * math.ulp(size)


_NO_VALUE = Versus(_NAN, _NAN, _NAN, _NAN, _NAN, False, None, "no value to compare")


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
    others = (
        []
        if leader is None
        else versus_many(leader["values"], [r["values"] for r in rows[1:]], mode)
    )
    for number, row in enumerate(rows, start=1):
        row["rank"] = number
        row["versus_leader"] = (
            None if leader is None or number == 1 else others[number - 2].as_dict()
        )
    return leader
