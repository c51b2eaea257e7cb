"""Aggregation over trials: summaries, differing hyper-parameters, aligned series, bands, EMA.

Pure functions on the plain data the selectors return, whose metric values are floats
(NaN as ``math.nan``). A summary value may also be None: the compare page keeps a group's
experiments in a ``dcc.Store``, which holds JSON, where NaN (and an infinity) is ``null``.

>>> summarize([0.8, 0.9, float("nan")], "max")
{'mean': 0.85..., 'best': 0.9, 'std': 0.0707..., 'n': 2}
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kuro.core.canonical import canonical_text
from kuro.core.modes import is_better

__all__ = [
    "Band",
    "align",
    "band",
    "best_trial",
    "canonical_value",
    "counted_trials",
    "differing_keys",
    "ema",
    "experiment_aggregates",
    "flatten",
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


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested hyper-parameters as dotted keys; lists stay values (shown as JSON)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def canonical_value(value: Any) -> str:
    """``canonical_text(value)``: the server's canonical JSON of one hyper-parameter value
    (1 and 1.0 are one value), without its normalising pass for the usual scalars, which
    a group's thousands of values would otherwise each pay for.

    >>> canonical_value(1.0), canonical_value(0.5), canonical_value("adam"), canonical_value([1.0])
    ('1', '0.5', '"adam"', '[1]')
    """
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        integral = value.is_integer() and abs(value) < 2**63
        return int.__repr__(int(value)) if integral else float.__repr__(value)
    return canonical_text(value)


def differing_keys(experiments: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """identifier -> the flattened hyper-parameter keys whose values differ among that
    identifier's experiments (a key some lack counts as differing), sorted.

    >>> differing_keys([
    ...     {"identifier": "mlp", "hyper_parameters": {"lr": 0.1, "layers": 2}},
    ...     {"identifier": "mlp", "hyper_parameters": {"lr": 0.01, "layers": 2}},
    ... ])
    {'mlp': ['lr']}
    """
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    present: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[str, int] = defaultdict(int)
    for experiment in experiments:
        identifier = experiment["identifier"]
        counts[identifier] += 1
        for key, value in flatten(experiment.get("hyper_parameters") or {}).items():
            # The server's canonical form: 1 and 1.0 are one value, objects compare by content.
            seen[identifier][key].add(canonical_value(value))
            present[identifier][key] += 1
    return {
        identifier: sorted(
            key
            # Differs: two values, or present in only some of the experiments.
            for key, distinct in seen[identifier].items()
            if len(distinct) > 1 or present[identifier][key] < n
        )
        for identifier, n in counts.items()
    }


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
    series: Sequence[tuple[Sequence[int], Sequence[float]]],
) -> tuple[list[int], list[list[float]]]:
    """Series of (steps, values) on the union of their steps.

    A series is linearly interpolated at steps inside its range that it lacks (downsampled
    series keep different steps) and NaN outside it, so a mean never invents a value after a
    shorter trial ended.
    """
    first_steps = list(series[0][0]) if series else []
    if all(list(steps) == first_steps for steps, _ in series[1:]):
        return first_steps, [list(values) for _, values in series]  # the common case
    grid = sorted({s for steps, _ in series for s in steps})
    rows = []
    for steps, values in series:
        row = [NAN] * len(grid)
        if steps:
            j = 0
            first, last = steps[0], steps[-1]
            for i, step in enumerate(grid):
                if step < first or step > last:
                    continue
                while steps[j] < step:
                    j += 1
                if steps[j] == step:
                    row[i] = values[j]
                else:  # steps[j - 1] < step < steps[j]
                    s0, s1, v0, v1 = steps[j - 1], steps[j], values[j - 1], values[j]
                    row[i] = v0 + (v1 - v0) * (step - s0) / (s1 - s0)
        rows.append(row)
    return grid, rows


class Band(dict):
    """Per step: ``mean``, ``lower``, ``upper`` and ``n`` (finite values at that step)."""


def band(rows: Sequence[Sequence[float]], kind: str = "std") -> Band:
    """The mean across aligned rows and a band around it: ± one sample standard deviation
    (``kind="std"``, zero width with one value) or the minimum and maximum (``"minmax"``).
    """
    if kind not in ("std", "minmax"):
        raise ValueError(f"band kind is 'std' or 'minmax', not {kind!r}")
    width = len(rows[0]) if rows else 0
    if rows and all(all(map(math.isfinite, row)) for row in rows):
        return _band_finite(rows, kind)
    mean, lower, upper, counts = [], [], [], []
    isfinite, sqrt = math.isfinite, math.sqrt
    for column in zip(*rows, strict=True) if rows else ():
        finite = [v for v in column if isfinite(v)]
        n = len(finite)
        counts.append(n)
        if not n:
            mean.append(NAN)
            lower.append(NAN)
            upper.append(NAN)
            continue
        m = sum(finite) / n
        mean.append(m)
        if kind == "minmax":
            lower.append(min(finite))
            upper.append(max(finite))
        else:
            sd = sqrt(sum((v - m) * (v - m) for v in finite) / (n - 1)) if n > 1 else 0.0
            lower.append(m - sd)
            upper.append(m + sd)
    assert len(counts) == width
    return Band(mean=mean, lower=lower, upper=upper, n=counts)


def _band_finite(rows: Sequence[Sequence[float]], kind: str) -> Band:
    """``band`` when every value is finite (the usual case), column sums done by C loops.

    Deviations are taken from the first row's values, so the variance stays exact enough
    when the mean is large against the spread.
    """
    n = len(rows)
    shift = rows[0]
    deltas = [[v - s for v, s in zip(row, shift, strict=True)] for row in rows]
    sums = list(map(sum, zip(*deltas, strict=True)))
    mean = [s + d / n for s, d in zip(shift, sums, strict=True)]
    if kind == "minmax":
        lower = list(map(min, zip(*rows, strict=True)))
        upper = list(map(max, zip(*rows, strict=True)))
    elif n > 1:
        squares = list(map(sum, zip(*[[d * d for d in row] for row in deltas], strict=True)))
        sds = [
            math.sqrt(max(q - d * d / n, 0.0) / (n - 1)) for q, d in zip(squares, sums, strict=True)
        ]
        lower = [m - sd for m, sd in zip(mean, sds, strict=True)]
        upper = [m + sd for m, sd in zip(mean, sds, strict=True)]
    else:
        lower, upper = list(mean), list(mean)
    return Band(mean=mean, lower=lower, upper=upper, n=[n] * len(mean))
