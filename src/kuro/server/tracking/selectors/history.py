"""Metric histories of many trials in one query, optionally downsampled."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connection

from kuro.core.downsample import minmax_indices
from kuro.core.errors import InvalidInput, NotFound
from kuro.server.tracking.models import Metric, Point, Trial

__all__ = ["metric_history"]

_NAN = math.nan


def metric_history(
    *,
    trial_ids: Sequence[int],
    metrics: Iterable[str] | None = None,
    max_points: int | None = None,
    step_min: int | None = None,
    step_max: int | None = None,
) -> list[dict[str, Any]]:
    """For each trial, in the order given: metric name -> ``{"steps", "values", "times",
    "count", "sampled"}`` sorted by step, values as floats (NaN as ``math.nan``). With
    ``max_points``, a longer series keeps its first and last points and each bucket's
    minimum and maximum (``sampled`` is then true). ``step_min``/``step_max`` (inclusive)
    read one range of steps, as a zoomed chart does; ``count`` is then the range's count.
    """
    ids = list(dict.fromkeys(trial_ids))
    limit = settings.KURO_LIMITS["max_history_trials"]
    if len(ids) > limit:
        raise InvalidInput(
            f"at most {limit} trials per history request, not {len(ids)}",
            field="trial_ids",
            detail={"field": "trial_ids", "limit": limit},
        )
    if max_points is not None and max_points < 2:
        raise InvalidInput("max_points must be at least 2", field="max_points")
    if step_min is not None and step_max is not None and step_min > step_max:
        raise InvalidInput("step_min is above step_max", field="step_min")
    found = set(Trial.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"trials do not exist: {missing[:20]}",
            detail={"field": "trial_ids", "missing": missing[:100]},
        )
    if not ids:
        return []
    groups = Trial.objects.filter(pk__in=ids).values("experiment__group_id")
    metric_filter = Metric.objects.filter(group_id__in=groups)
    if metrics is not None:
        metric_filter = metric_filter.filter(name__in=list(metrics))
    names = dict(metric_filter.values_list("pk", "name"))
    series: dict[int, dict[str, tuple]] = {i: {} for i in ids}
    steps_sql, steps_args = "", []
    if step_min is not None:
        steps_sql, steps_args = steps_sql + " AND step >= %s", [*steps_args, step_min]
    if step_max is not None:
        steps_sql, steps_args = steps_sql + " AND step <= %s", [*steps_args, step_max]
    if names:
        # In the order of the (trial, metric, step) unique index: no sort step.
        sql = (
            f"SELECT trial_id, metric_id, step, value, time FROM {Point._meta.db_table} "
            f"WHERE trial_id IN ({', '.join(['%s'] * len(ids))}) "
            f"AND metric_id IN ({', '.join(['%s'] * len(names))}){steps_sql} "
            "ORDER BY trial_id, metric_id, step"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*ids, *names, *steps_args])
            rows = cursor.fetchall()
        for (trial_id, metric_id), group in groupby(rows, key=itemgetter(0, 1)):
            _, _, steps, values, times = zip(*group, strict=True)
            series[trial_id][names[metric_id]] = (list(steps), list(values), list(times))
    return [
        {
            "trial_id": trial_id,
            "metrics": {
                name: _series_dict(steps, values, times, max_points)
                for name, (steps, values, times) in sorted(series[trial_id].items())
            },
        }
        for trial_id in ids
    ]


def _series_dict(
    steps: list[int], values: list[float | None], times: list[float], max_points: int | None
) -> dict[str, Any]:
    if None in values:  # NULL is NaN (see models.Point); a C-speed scan finds none mostly
        values = [_NAN if v is None else v for v in values]
    count = len(steps)
    sampled = max_points is not None and count > max_points
    if sampled and max_points is not None:
        keep = minmax_indices(values, max_points)
        steps = [steps[i] for i in keep]
        values = [values[i] for i in keep]
        times = [times[i] for i in keep]
    return {
        "steps": steps,
        "values": values,
        "times": times,
        "count": count,
        "sampled": sampled,
    }
