"""The comparison of a group's settings on one metric: each experiment's per-trial values
summarised, ranked by mean, and tested against the leader (``kuro.core.statistics``, which
describes and tests all the settings in a few vectorised calls); ``metric_comparisons``
does several metrics on one read of the group."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from kuro.core.comparison import STATISTICS, Statistic
from kuro.core.errors import InvalidInput, NotFound
from kuro.core.statistics import describe_many, rank
from kuro.server.tracking.models import Experiment, Group, Metric, Summary, Trial
from kuro.server.tracking.selectors.series import series_at_step

__all__ = ["metric_comparison", "metric_comparisons"]


def _float(value: float | None) -> float:
    return math.nan if value is None else value


def _summary_values(
    *, metrics: Sequence[Metric], group: Group, statistic: Statistic
) -> dict[int, dict[int, float]]:
    """metric id -> trial id -> the complete trial's ``best`` or ``last`` value (``summary``
    is the last one), from the summaries the write path keeps, in one query."""
    modes = {m.pk: m.mode for m in metrics}
    out: dict[int, dict[int, float]] = {m.pk: {} for m in metrics}
    summaries = Summary.objects.filter(
        metric_id__in=list(modes),
        trial__experiment__group=group,
        trial__status=Trial.Status.COMPLETE,
    )
    for metric_id, trial_id, lo, hi, last in summaries.values_list(
        "metric_id", "trial_id", "min_value", "max_value", "last_value"
    ):
        if statistic == "best":
            out[metric_id][trial_id] = _float(hi if modes[metric_id] == "max" else lo)
        else:
            out[metric_id][trial_id] = _float(last)
    return out


def metric_comparison(
    *,
    group: str,
    metric: str,
    statistic: Statistic = "best",
    step: int | None = None,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """Every experiment of ``group`` on ``metric`` over its complete trials: the per-trial
    ``statistic``, its description (n, mean, std, sem, 95% interval, median, IQM, and a
    seeded bootstrap interval when ``bootstrap`` resamples are asked for), ranked by mean
    (best first by the metric's mode, experiments without a value last), and each one's
    comparison with the leader (``versus``; None for the leader itself)."""
    return metric_comparisons(
        group=group,
        metrics=[metric],
        statistic=statistic,
        step=step,
        bootstrap=bootstrap,
        seed=seed,
    )[metric]


def metric_comparisons(
    *,
    group: str,
    metrics: Sequence[str],
    statistic: Statistic = "best",
    step: int | None = None,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """metric name -> ``metric_comparison`` of each of ``metrics``, the group's experiments,
    trials and summaries read once for all of them (the compare page's every metric)."""
    if statistic not in STATISTICS:
        raise InvalidInput(
            f"statistic is one of {', '.join(STATISTICS)}, not {statistic!r}", field="statistic"
        )
    if (statistic == "step") != (step is not None):
        raise InvalidInput("step is given with statistic=step, and only then", field="step")
    found = Group.objects.filter(name=group).first()
    if found is None:
        raise NotFound(f"group {group!r} does not exist", detail={"field": "group"})
    by_name = {m.name: m for m in Metric.objects.filter(group=found, name__in=list(metrics))}
    for name in metrics:
        if name not in by_name:
            raise NotFound(f"group {group!r} has no metric {name!r}", detail={"field": "metric"})
    chosen = [by_name[name] for name in dict.fromkeys(metrics)]
    experiments = list(
        Experiment.objects.filter(group=found)
        .order_by("id")
        .values_list("id", "identifier", "hyper_parameters")
    )
    trials = list(
        Trial.objects.filter(experiment__group=found, status=Trial.Status.COMPLETE).values_list(
            "id", "experiment_id"
        )
    )
    if statistic == "step":
        assert step is not None
        trial_ids = [t for t, _ in trials]
        values = {
            m.pk: series_at_step(metric_id=m.pk, trial_ids=trial_ids, step=step) for m in chosen
        }
    else:
        values = _summary_values(metrics=chosen, group=found, statistic=statistic)
    seeds = [seed + pk for pk, _, _ in experiments]
    return {
        m.name: _comparison(
            metric=m,
            group=found,
            experiments=experiments,
            trials=trials,
            values=values[m.pk],
            statistic=statistic,
            step=step,
            bootstrap=bootstrap,
            seeds=seeds,
        )
        for m in chosen
    }


def _comparison(
    *,
    metric: Metric,
    group: Group,
    experiments: list[tuple[int, str, Any]],
    trials: list[tuple[int, int]],
    values: dict[int, float],
    statistic: Statistic,
    step: int | None,
    bootstrap: int,
    seeds: list[int],
) -> dict[str, Any]:
    """One metric's comparison from its complete trials' values (trial id -> value)."""
    per_experiment: dict[int, list[float]] = defaultdict(list)
    for trial_id, experiment_id in trials:
        if trial_id in values:
            per_experiment[experiment_id].append(values[trial_id])
    samples = [per_experiment.get(pk, []) for pk, _, _ in experiments]
    descriptions = describe_many(samples, bootstrap=bootstrap, seeds=seeds)
    rows = [
        {
            "experiment_id": pk,
            "identifier": identifier,
            "hyper_parameters": hyper_parameters,
            "values": mine,
            **description.as_dict(),
        }
        for (pk, identifier, hyper_parameters), mine, description in zip(
            experiments, samples, descriptions, strict=True
        )
    ]
    leader = rank(rows, metric.mode, tie="experiment_id")
    return {
        "group": group.name,
        "metric": metric.name,
        "mode": metric.mode,
        "statistic": statistic,
        "step": step,
        "leader_id": None if leader is None else leader["experiment_id"],
        "experiments": rows,
    }
