"""Pruning verdicts: which running trials of sweeps Optuna's pruner would stop now."""

from __future__ import annotations

import math
from collections import defaultdict

from kuro.core.modes import best_of
from kuro.server.queue.models import Sweep
from kuro.server.queue.studies import Run, make_pruner, prune_verdict
from kuro.server.tracking.models import Trial
from kuro.server.tracking.selectors import series_points

__all__ = ["prune_flags"]

# Runs that never started or whose work was queued again take no part in a verdict.
_NOT_RUNS = (Trial.Status.QUEUED, Trial.Status.LOST)


def prune_flags(*, trial_ids: list[int]) -> list[int]:
    """Which of these running trials Optuna's pruner would stop now, judged against the
    other runs of their sweep (ordered by id) and their objective series.

    Four queries whatever the number of trials: the candidates with their sweeps, the
    sweeps, the sweeps' runs and the runs' objective points.
    """
    if not trial_ids:
        return []
    candidates = list(
        Trial.objects.filter(
            pk__in=trial_ids,
            status=Trial.Status.RUNNING,
            experiment__sweep_config__isnull=False,
        )
        .exclude(experiment__sweep_config__sweep__pruner=Sweep.Pruner.NONE)
        .order_by("id")
        .values_list("pk", "experiment__sweep_config__sweep_id")
    )
    if not candidates:
        return []
    sweep_ids = sorted({sweep_id for _, sweep_id in candidates})
    sweeps = Sweep.objects.select_related("objective").in_bulk(sweep_ids)
    runs_of = _sweep_runs(sweeps)
    out = []
    for trial_id, sweep_id in candidates:
        sweep = sweeps[sweep_id]
        runs = runs_of[sweep_id]
        me = runs.get(trial_id)
        if me is None or not me.intermediate:
            continue
        others = [run for pk, run in runs.items() if pk != trial_id]
        if prune_verdict(
            direction=sweep.objective.mode,
            pruner=make_pruner(sweep.pruner, sweep.pruner_options),
            others=others,
            me=Run(state=Trial.Status.RUNNING, value=None, intermediate=me.intermediate),
        ):
            out.append(trial_id)
    return out


def _sweep_runs(sweeps: dict[int, Sweep]) -> dict[int, dict[int, Run]]:
    """sweep id -> trial id -> its run (ordered by trial id): status, best objective value
    and objective series, NaN points left out."""
    runs = list(
        Trial.objects.filter(experiment__sweep_config__sweep_id__in=list(sweeps))
        .exclude(status__in=_NOT_RUNS)
        .order_by("id")
        .values_list("pk", "status", "experiment__sweep_config__sweep_id")
    )
    # Each run's points of its own sweep's objective.
    objective = {pk: sweeps[sweep_id].objective_id for pk, _, sweep_id in runs}
    found = series_points(trial_ids=list(objective), metric_ids=set(objective.values()))
    series: dict[int, dict[int, float]] = {}
    for (trial_id, metric_id), points in found.items():
        if objective[trial_id] == metric_id:
            series[trial_id] = {
                step: value
                for step, value in zip(points.steps.tolist(), points.values.tolist(), strict=True)
                if not math.isnan(value)
            }
    out: dict[int, dict[int, Run]] = defaultdict(dict)
    for pk, status, sweep_id in runs:
        intermediate = series.get(pk, {})
        mode = sweeps[sweep_id].objective.mode
        best = best_of(intermediate.values(), mode) if intermediate else None
        out[sweep_id][pk] = Run(state=status, value=best, intermediate=intermediate)
    return out
