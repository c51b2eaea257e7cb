"""Aggregation over trials: summaries, trial bests, aligned series, bands, EMA.

Pure functions on the plain data the selectors return, whose metric values are floats
(NaN as ``math.nan``); the series of many trials are aligned and banded in numpy
(``align`` or, for downsampled series, ``bucketed``; then ``band``), which the curves of a
compare page call for 100 trials at once. A summary value may also be None: the compare
page keeps a group's experiments in a ``dcc.Store``, which holds JSON, where NaN (and an
infinity) is ``null``.

>>> summarize([0.8, 0.9, float("nan")], "max")
{'mean': 0.85..., 'best': 0.9, 'std': 0.0707..., 'n': 2}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from kuro.core.modes import is_better

__all__ = [
    "Buckets",
    "align",
    "band",
    "best_trial",
    "bucketed",
    "counted_trials",
    "ema",
    "experiment_aggregates",
    "summarize",
    "summary_best",
    "trial_bests",
]

NAN = math.nan


def summary_best(trial: Mapping[str, Any], metric: str) -> float:
    """The trial's best value of ``metric``; NaN when it has none (or the store's null)."""
    best = (trial.get("summaries") or {}).get(metric, {}).get("best")
    return NAN if best is None else best


def summarize(values: Iterable[float], mode: str) -> dict[str, Any]:
    """Mean, best (by mode), sample standard deviation and count of the finite values.

    ``std`` is None below two values; everything is None without any value.
    """
    finite = [v for v in values if math.isfinite(v)]
    n = len(finite)
    if not n:
        return {"mean": None, "best": None, "std": None, "n": 0}
    mean = math.fsum(finite) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in finite) / (n - 1)) if n > 1 else None
    best = max(finite) if mode == "max" else min(finite)
    return {"mean": mean, "best": best, "std": std, "n": n}


# A lost attempt was queued again as a new trial with the same number: count that one.
SUPERSEDED = frozenset({"lost"})


def counted_trials(experiment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The experiment's trials that stand for it (not the lost attempts)."""
    return [t for t in experiment.get("trials", ()) if t.get("status") not in SUPERSEDED]


def trial_bests(experiment: Mapping[str, Any], metric: str) -> list[float]:
    """Each counted trial's best value of ``metric`` (NaN for a trial without it)."""
    return [summary_best(t, metric) for t in counted_trials(experiment)]


def best_trial(experiment: Mapping[str, Any], metric: str, mode: str) -> int | None:
    """The id of the trial whose best value of ``metric`` is best, or None."""
    winner, winner_value = None, NAN
    for trial, value in zip(
        counted_trials(experiment), trial_bests(experiment, metric), strict=True
    ):
        if is_better(value, winner_value, mode):  # type: ignore[arg-type]
            winner, winner_value = trial["id"], value
    return winner


def experiment_aggregates(
    experiments: Sequence[Mapping[str, Any]], metrics: Sequence[Mapping[str, str]]
) -> list[dict[str, Any]]:
    """One row per (experiment, metric) the experiment reports: mean, best and std over its
    trials' best values, and the number of trials with a value."""
    rows = []
    for experiment in experiments:
        names = set(experiment.get("metrics") or ())
        for metric in metrics:
            if metric["name"] not in names:
                continue
            stats = summarize(trial_bests(experiment, metric["name"]), metric["mode"])
            rows.append(
                {
                    "experiment_id": experiment["id"],
                    "identifier": experiment["identifier"],
                    "metric": metric["name"],
                    "mode": metric["mode"],
                    "n_trials": len(counted_trials(experiment)),
                    **stats,
                }
            )
    return rows


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with start-up bias correction (as TensorBoard draws it).

    ``weight`` 0 returns the values; NaN and infinities pass through and are not averaged in.

    >>> ema([1.0, 1.0, 4.0], 0.5)
    [1.0, 1.0, 2.714...]
    """
    if weight <= 0:
        return list(values)
    out, last, debias = [], 0.0, 0.0
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        debias = debias * weight + (1 - weight)
        out.append(last / debias)
    return out


def align(
    series: Sequence[tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Series of (steps, values) on the union of their steps: the steps, and one row of
    values per series (a 2-D float array), in a few numpy calls per series. Downsampled
    series each keep their own steps (each bucket's extremes), so 5 trials of 1,000 points
    make a grid of up to 5,000 steps: as Python loops that was a third of the time of a
    compare page's curves.

    A series is linearly interpolated at steps inside its range that it lacks and NaN
    outside it, so a mean never invents a value after a shorter trial ended. A series' own
    steps keep their values exactly; between two of them the value is ``np.interp``'s (NaN
    beside a NaN; between an infinity and a value, the infinity).

    >>> steps, rows = align([([0, 10], [0.0, 10.0]), ([0, 5], [1.0, 1.0])])
    >>> steps.tolist(), rows.tolist()
    ([0, 5, 10], [[0.0, 5.0, 10.0], [1.0, 1.0, nan]])
    """
    if not series:
        return np.empty(0, dtype=np.int64), np.empty((0, 0))
    steps = [np.asarray(s) if len(s) else np.empty(0, dtype=np.int64) for s, _ in series]
    values = [np.asarray(v, dtype=np.float64) for _, v in series]
    first = steps[0]
    if all(len(s) == len(first) and np.array_equal(s, first) for s in steps[1:]):
        return first, np.array(values, dtype=np.float64).reshape(len(series), len(first))
    # Each series is sorted: a stable sort merges their runs.
    grid = np.sort(np.concatenate(steps), kind="stable")
    grid = grid[np.r_[True, grid[1:] != grid[:-1]]]
    at = grid.astype(np.float64)
    rows = np.full((len(series), len(grid)), NAN)
    for row, s, v in zip(rows, steps, values, strict=True):
        if len(s):
            row[:] = np.interp(at, s.astype(np.float64), v, left=NAN, right=NAN)
    return grid, rows


class Buckets(NamedTuple):
    """Series on one grid of buckets (``bucketed``): per bucket a column, per series a row."""

    steps: np.ndarray
    """Each bucket's step: the mean of the series' steps in it, rounded down."""
    means: np.ndarray
    """Each series' mean of its values in the bucket."""
    lows: np.ndarray
    """Each series' minimum in the bucket."""
    highs: np.ndarray
    """Each series' maximum in the bucket."""
    extra: np.ndarray | None
    """Each series' mean of its ``extra`` values (its times, say) in the bucket, or None."""


def bucketed(
    series: Sequence[tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]],
    n_buckets: int,
    extra: Sequence[Sequence[float] | np.ndarray] | None = None,
) -> Buckets:
    """Series of (steps, values) on one grid of ``n_buckets`` buckets of equal width, from
    the first step of them all to the last (as W&B's full-fidelity charts cut the x axis):
    in each bucket, each series' mean, minimum and maximum of its values there (NaN
    skipped; NaN in a bucket of NaN only), and its mean of ``extra`` (an array per series
    beside its values) if given.

    For downsampled series (``metric_history(max_points=...)``), which hold each of their
    own buckets' extremes at steps that differ from series to series: on the union of their
    steps (``align``) 5 trials of 1,000 points made about 5,000 columns, and the work and
    the chart grew with the series. Here they make ``n_buckets`` columns at most whatever
    their length: ``band`` of the means gives the mean across series and its ± std; the
    lowest of the lows and the highest of the highs bound every point of every series.

    Each series' steps are integers in order (as reads give them). A series has no value
    (NaN) in the buckets outside its range; a bucket inside its range where it has no point
    takes the values interpolated between its neighbouring buckets.

    >>> grid = bucketed([([0, 1, 2, 3], [4.0, 2.0, 3.0, 5.0]), ([2, 3], [1.0, 3.0])], 2)
    >>> grid.steps.tolist(), grid.means.tolist()
    ([0, 2], [[3.0, 4.0], [nan, 2.0]])
    >>> grid.lows.tolist(), grid.highs.tolist()
    ([[2.0, 3.0], [nan, 1.0]], [[4.0, 5.0], [nan, 3.0]])
    """
    steps = [np.asarray(s, dtype=np.int64) for s, _ in series]
    values = [np.asarray(v, dtype=np.float64) for _, v in series]
    extras = None if extra is None else [np.asarray(e, dtype=np.float64) for e in extra]
    present = [s for s in steps if len(s)]
    if not present or n_buckets < 1:
        empty = np.empty((len(series), 0))
        return Buckets(
            np.empty(0, dtype=np.int64), empty, empty, empty, None if extras is None else empty
        )
    first = min(int(s[0]) for s in present)
    span = max(int(s[-1]) for s in present) - first + 1
    width = min(n_buckets, span)
    # Steps from the first, exact in unsigned integers (any int64 steps), then as floats:
    # a float64 of a step beyond 2**53 would merge steps and buckets.
    origin = np.int64(first)
    # All the series at once: each point's cell (series, bucket), cells in order.
    lengths = np.array([len(s) for s in steps])
    step = np.concatenate([(s - origin).view(np.uint64) for s in steps]).astype(np.float64)
    value = np.concatenate(values)
    bucket = np.minimum((step * (width / span)).astype(np.int64), width - 1)
    cell = np.repeat(np.arange(len(series)), lengths) * width + bucket
    heads = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    filled = cell[heads]
    sizes = np.diff(np.r_[heads, len(cell)])
    real = ~np.isnan(value)
    # Per series and bucket: its mean step, mean, minimum, maximum (and mean extra value).
    flat = np.full((5 if extras is not None else 4, len(series) * width), NAN)
    reals = np.add.reduceat(real, heads)
    flat[0, filled] = np.add.reduceat(step, heads) / sizes
    flat[2, filled] = low = np.fmin.reduceat(value, heads)
    flat[3, filled] = high = np.fmax.reduceat(value, heads)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = np.add.reduceat(np.where(real, value, 0.0), heads) / reals
        # A sum past 1.8e308 of values that are not: each value divided by its cell's
        # count first, in those cells only.
        over = ~np.isfinite(mean) & np.isfinite(low) & np.isfinite(high)
        if over.any():
            shares = np.repeat(np.maximum(reals, 1), sizes)
            mean[over] = np.add.reduceat(np.where(real, value / shares, 0.0), heads)[over]
    flat[1, filled] = np.minimum(np.maximum(mean, low), high)  # rounding kept inside
    if extras is not None:
        flat[4, filled] = np.add.reduceat(np.concatenate(extras), heads) / sizes
    planes = flat.reshape(len(flat), len(series), width)
    # Buckets inside a series' range where it has no point (its points, each an extreme of
    # its own buckets, can skip one): linearly interpolated between the nearest buckets
    # where it has one, on each side.
    has = ~np.isnan(planes[0])  # a cell's mean step: a number wherever it has a point
    column = np.arange(width)
    before = np.maximum.accumulate(np.where(has, column, -1), axis=1)
    after = np.minimum.accumulate(np.where(has, column, width)[:, ::-1], axis=1)[:, ::-1]
    rows, gaps = np.nonzero(~has & (before >= 0) & (after < width))
    if len(rows):
        left, right = before[rows, gaps], after[rows, gaps]
        weight = (gaps - left) / (right - left)
        for plane in planes:
            a, b = plane[rows, left], plane[rows, right]
            # Each end weighted, not a + (b - a) * w: b - a may pass 1.8e308 where a and b
            # do not; kept between the ends (rounding). Between opposite infinities: NaN.
            with np.errstate(invalid="ignore", over="ignore"):
                inside = a * (1 - weight) + b * weight
            plane[rows, gaps] = np.minimum(np.maximum(inside, np.minimum(a, b)), np.maximum(a, b))
    at = planes[0]
    counts = np.isfinite(at).sum(axis=0)
    kept = counts > 0  # a bucket where some series has a point
    with np.errstate(invalid="ignore", divide="ignore"):
        position = np.floor(np.where(np.isfinite(at), at, 0.0).sum(axis=0) / counts)
    # Back to integers, within the steps: a float's rounding may pass the last (below 2**64).
    offset = np.minimum(position[kept], 2.0**64 - 2**11).astype(np.uint64)
    offset = np.minimum(offset, np.uint64(span - 1))
    return Buckets(
        offset.view(np.int64) + origin,
        planes[1][:, kept],
        planes[2][:, kept],
        planes[3][:, kept],
        None if extras is None else planes[4][:, kept],
    )


def band(rows: np.ndarray, kind: str = "std") -> dict[str, np.ndarray]:
    """The mean across aligned rows (a 2-D array, as ``align`` gives) and a band around
    it, per step: ``mean``, ``lower``, ``upper`` (± one sample standard deviation,
    ``kind="std"``, zero width with one value; or the minimum and maximum, ``"minmax"``)
    and ``n``. Non-finite values are left out of each step's statistics (``n`` counts the
    others; NaN where none is left).

    Deviations are taken from the first row's values where every value is finite (the
    usual case), so the variance stays exact enough when the mean is large against the
    spread."""
    if kind not in ("std", "minmax"):
        raise ValueError(f"band kind is 'std' or 'minmax', not {kind!r}")
    n_rows, width = rows.shape
    finite = np.isfinite(rows)
    if finite.all():
        counts = np.full(width, n_rows, dtype=np.int64)
        if not n_rows:
            empty = np.empty(0)
            return {"mean": empty, "lower": empty, "upper": empty, "n": counts}
        # Values near the largest floats: a deviation past 1.8e308 leaves no finite spread.
        with np.errstate(over="ignore", invalid="ignore"):
            deltas = rows - rows[0]
            sums = deltas.sum(axis=0)
            mean = rows[0] + sums / n_rows
            if kind == "minmax":
                lower, upper = rows.min(axis=0), rows.max(axis=0)
            elif n_rows > 1:
                squares = (deltas * deltas).sum(axis=0)
                sds = np.sqrt(np.maximum(squares - sums * sums / n_rows, 0.0) / (n_rows - 1))
                lower, upper = mean - sds, mean + sds
            else:
                lower, upper = mean.copy(), mean.copy()
        return {"mean": mean, "lower": lower, "upper": upper, "n": counts}
    counts = finite.sum(axis=0)
    some = counts > 0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = np.where(finite, rows, 0.0).sum(axis=0) / counts
        if kind == "minmax":
            lower = np.where(finite, rows, np.inf).min(axis=0)
            upper = np.where(finite, rows, -np.inf).max(axis=0)
        else:
            deviations = np.where(finite, rows - mean, 0.0)
            variance = (deviations * deviations).sum(axis=0) / (counts - 1)
            sds = np.where(counts > 1, np.sqrt(variance), 0.0)
            lower, upper = mean - sds, mean + sds
    for column in (mean, lower, upper):
        column[~some] = NAN
    return {"mean": mean, "lower": lower, "upper": upper, "n": counts}
