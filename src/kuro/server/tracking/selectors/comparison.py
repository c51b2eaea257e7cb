"""The comparison of a group's settings on one metric: each experiment's per-trial values
summarised, ranked by mean, and tested against the leader (``kuro.core.statistics``)."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from kuro.core.comparison import STATISTICS, Statistic
from kuro.core.errors import InvalidInput, NotFound
from kuro.core.statistics import describe, rank
from kuro.server.tracking.models import Experiment, Group, Metric, Summary, Trial
from kuro.server.tracking.selectors.series import series_at_step

__all__ = ["metric_comparison"]


def _float(value: float | None) -> float:
    return math.nan if value is None else value


def _trial_values(
    *, metric: Metric, trial_ids: list[int], statistic: Statistic, step: int | None
) -> dict[int, float]:
    """trial id -> its one value of ``metric`` (trials without the metric are absent)."""
    if statistic == "step":
        assert step is not None
        return series_at_step(metric_id=metric.pk, trial_ids=trial_ids, step=step)
    summaries = Summary.objects.filter(metric=metric, trial_id__in=trial_ids)
    out = {}
    for trial_id, lo, hi, last in summaries.values_list(
        "trial_id", "min_value", "max_value", "last_value"
    ):
        if statistic == "best":
            out[trial_id] = _float(hi if metric.mode == "max" else lo)
        else:
            out[trial_id] = _float(last)
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
    if statistic not in STATISTICS:
        raise InvalidInput(
            f"statistic is one of {', '.join(STATISTICS)}, not {statistic!r}", field="statistic"
        )
    if (statistic == "step") != (step is not None):
        raise InvalidInput("step is given with statistic=step, and only then", field="step")
    found = Group.objects.filter(name=group).first()
    if found is None:
        raise NotFound(f"group {group!r} does not exist", detail={"field": "group"})
    chosen = Metric.objects.filter(group=found, name=metric).first()
    if chosen is None:
        raise NotFound(f"group {group!r} has no metric {metric!r}", detail={"field": "metric"})
    experiments = list(Experiment.objects.filter(group=found).order_by("id"))
    trials = list(
        Trial.objects.filter(experiment__group=found, status=Trial.Status.COMPLETE).values_list(
            "id", "experiment_id"
        )
    )
    values = _trial_values(
        metric=chosen, trial_ids=[t for t, _ in trials], statistic=statistic, step=step
    )
    per_experiment: dict[int, list[float]] = defaultdict(list)
    for trial_id, experiment_id in trials:
        if trial_id in values:
            per_experiment[experiment_id].append(values[trial_id])
    rows = []
    for experiment in experiments:
        mine = per_experiment.get(experiment.pk, [])
        description = describe(mine, bootstrap=bootstrap, seed=seed + experiment.pk)
        rows.append(
            {
                "experiment_id": experiment.pk,
                "identifier": experiment.identifier,
                "hyper_parameters": experiment.hyper_parameters,
                "values": mine,
                **description.as_dict(),
            }
        )
    leader = rank(rows, chosen.mode, tie="experiment_id")
    return {
        "group": found.name,
        "metric": chosen.name,
        "mode": chosen.mode,
        "statistic": statistic,
        "step": step,
        "leader_id": None if leader is None else leader["experiment_id"],
        "experiments": rows,
    }
