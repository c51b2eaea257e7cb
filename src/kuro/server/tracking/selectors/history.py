"""Metric histories of many trials, optionally downsampled (read from the series' chunks
by ``selectors.series``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings

from kuro.core.errors import InvalidInput, NotFound
from kuro.server.tracking.chunks import Points
from kuro.server.tracking.models import Metric, Trial
from kuro.server.tracking.selectors.series import series_points, series_view

__all__ = ["metric_history"]


def metric_history(
    *,
    trial_ids: Sequence[int],
    metrics: Iterable[str] | None = None,
    max_points: int | None = None,
    step_min: int | None = None,
    step_max: int | None = None,
    arrays: bool = False,
) -> list[dict[str, Any]]:
    """For each trial, in the order given: metric name -> ``{"steps", "values", "times",
    "count", "sampled"}`` sorted by step, values as floats (NaN as ``math.nan``). With
    ``max_points``, a longer series keeps its first and last points and each bucket's
    minimum and maximum (``sampled`` is then true). ``step_min``/``step_max`` (inclusive)
    read one range of steps, as a zoomed chart does; ``count`` is then the range's count.
    ``arrays``: steps, values and times as numpy arrays (int64, float64, float64), not
    lists, for a caller that computes on them (the dashboard's curves): a list costs a
    Python object a point to make, and as much to turn back into an array.
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
    series: dict[int, dict[str, dict[str, Any]]] = {i: {} for i in ids}
    if names:
        if max_points is None:
            exact = series_points(
                trial_ids=ids, metric_ids=names, step_min=step_min, step_max=step_max
            )
            for (trial_id, metric_id), points in exact.items():
                series[trial_id][names[metric_id]] = _series_dict(
                    points, len(points), False, arrays
                )
        else:
            views = series_view(
                trial_ids=ids,
                metric_ids=names,
                max_points=max_points,
                step_min=step_min,
                step_max=step_max,
            )
            for (trial_id, metric_id), view in views.items():
                series[trial_id][names[metric_id]] = _series_dict(
                    view.points, view.count, view.sampled, arrays
                )
    return [
        {"trial_id": trial_id, "metrics": dict(sorted(series[trial_id].items()))}
        for trial_id in ids
    ]


def _series_dict(points: Points, count: int, sampled: bool, arrays: bool) -> dict[str, Any]:
    if arrays:
        return {
            "steps": points.steps,
            "values": points.values,
            "times": points.times,
            "count": count,
            "sampled": sampled,
        }
    return {
        "steps": points.steps.tolist(),
        "values": points.values.tolist(),
        "times": points.times.tolist(),
        "count": count,
        "sampled": sampled,
    }
