"""Scoring sweep configurations: pure functions over trials and their summaries, shared by
the queue's selectors and services (no database access, no writes).

A configuration runs ``n_trials`` times; it is done when each trial number has ended for
good, and its value is the mean over its complete trials of each trial's best objective
value. A NaN best is no value and is left out; ±infinity are values like any other (a
diverged loss of -inf under 'min' is the best there is). Beside the mean, people see its
95% interval (Student t, ``kuro.core.statistics.describe``, as on the compare page); the
sampler is told the mean only.

>>> mean_std([1.0, 3.0])
(2.0, 1.4142135623730951)
>>> mean_std([1.0, float("inf")])
(inf, nan)
>>> objective_value("-Infinity"), objective_value(None), objective_value(0.5)
(-inf, nan, 0.5)
>>> s = config_statistics([0.91, 0.93, 0.92])
>>> s.n, round(s.mean, 4), round(s.ci_low, 4), round(s.ci_high, 4)
(3, 0.92, 0.8952, 0.9448)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple, Protocol

from kuro.core.statistics import describe
from kuro.core.statuses import END_STATUSES
from kuro.core.values import decode_value

__all__ = [
    "ConfigState",
    "ConfigStatistics",
    "TrialLike",
    "complete_bests",
    "config_score",
    "config_statistics",
    "config_trials_done",
    "mean_std",
    "objective_value",
]

ConfigState = Literal["running", "complete", "pruned", "failed"]
"""The states of a configuration (``SweepConfig.State``'s values)."""

Summaries = Mapping[int, Mapping[str, Mapping[str, Any]]]
"""trial id -> metric name -> ``{"best", ...}``, as ``trial_summaries`` answers."""


class TrialLike(Protocol):
    """What scoring reads of a trial (a ``tracking.Trial`` has it)."""

    @property
    def pk(self) -> Any: ...

    @property
    def number(self) -> int: ...

    @property
    def status(self) -> str: ...


def objective_value(value: object) -> float:
    """A summary's value as a float: the tracking selectors give floats, or (before they
    all did) the wire strings ``"NaN"``/``"Infinity"``/``"-Infinity"``; a missing value
    (None) is NaN."""
    return math.nan if value is None else decode_value(value)


def config_trials_done(trials: Iterable[TrialLike]) -> bool:
    """A configuration is done when each of its trial numbers has ended for good (lost
    trials left out by the caller: their work was queued again)."""
    trials = list(trials)
    final = {t.number for t in trials if t.status in END_STATUSES}
    numbers = {t.number for t in trials}
    return bool(numbers) and numbers == final


def complete_bests(
    trials: Iterable[TrialLike], summaries: Summaries, objective: str
) -> list[float]:
    """Each complete trial's best value of ``objective``, NaN (or none) left out."""
    bests = []
    for t in trials:
        if t.status != "complete":
            continue
        best = objective_value(summaries.get(t.pk, {}).get(objective, {}).get("best"))
        if not math.isnan(best):
            bests.append(best)
    return bests


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value) of non-NaN values; with an
    infinity the mean is infinite (NaN for +inf and -inf together) and the spread NaN."""
    if not values:
        return math.nan, math.nan
    if all(math.isfinite(v) for v in values):
        mean = statistics.fmean(values)
        return mean, statistics.stdev(values) if len(values) > 1 else 0.0
    # statistics refuses infinities; plain float arithmetic says what they mean.
    mean = sum(values) / len(values)
    return mean, 0.0 if len(values) == 1 else math.nan


class ConfigStatistics(NamedTuple):
    """A configuration's complete trials' bests, summarised: their number, mean, sample
    standard deviation (``mean_std``'s) and the 95% Student-t interval of the mean
    (``describe``'s: NaN for one value, or beside an infinity)."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


def config_statistics(values: Sequence[float]) -> ConfigStatistics:
    """``ConfigStatistics`` of non-NaN values (all NaN for none)."""
    mean, std = mean_std(values)
    if not all(math.isfinite(v) for v in values):
        # No interval beside an infinity (numpy would warn on +inf and -inf together).
        return ConfigStatistics(len(values), mean, std, math.nan, math.nan)
    described = describe(values)
    return ConfigStatistics(len(values), mean, std, described.ci_low, described.ci_high)


def config_score(
    *, trials: Sequence[TrialLike], summaries: Summaries, objective: str
) -> tuple[ConfigState, float | None]:
    """A finished configuration's state and value: complete with the mean of its complete
    trials' bests; else pruned when a trial was pruned, failed otherwise. A mean that is
    not a number (+inf and -inf bests together) is no value either."""
    bests = complete_bests(trials, summaries, objective)
    if bests:
        mean, _ = mean_std(bests)
        if not math.isnan(mean):
            return "complete", mean
    if any(t.status == "pruned" for t in trials):
        return "pruned", None
    return "failed", None
