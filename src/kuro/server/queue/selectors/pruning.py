"""Pruning verdicts: which running trials of sweeps Optuna's pruner would stop now."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection

from kuro.core.modes import best_of
from kuro.server.queue.models import Sweep, SweepConfig
from kuro.server.queue.studies import Run, make_pruner, prune_verdict
from kuro.server.tracking.models import Trial
from kuro.server.tracking.selectors import series_points

__all__ = ["prune_candidates_query", "prune_flags"]

# Runs that never started or whose work was queued again take no part in a verdict.
_NOT_RUNS = (Trial.Status.QUEUED, Trial.Status.LOST)


def prune_candidates_query(*, trial_ids: Sequence[int]) -> tuple[str, list[Any]]:
    """SQL and parameters of the first read of ``prune_flags``: which of these trials are
    running in a sweep with a pruner, as (trial id, sweep id) rows by trial id. A writer
    that reads in one round trip (``POST /points``) runs it with its own reads and hands
    the rows to ``prune_flags``: a batch outside any such sweep costs no query for it."""
    t, c = Trial._meta.db_table, SweepConfig._meta.db_table
    holes = ", ".join(["%s"] * len(trial_ids))
    return (
        f"SELECT t.id, c.sweep_id FROM {t} t "
        f"JOIN {c} c ON c.experiment_id = t.experiment_id "
        f"JOIN {Sweep._meta.db_table} s ON s.id = c.sweep_id "
        f"WHERE t.id IN ({holes}) AND t.status = %s AND s.pruner <> %s ORDER BY t.id",
        [*trial_ids, Trial.Status.RUNNING, Sweep.Pruner.NONE],
    )


def prune_flags(
    *, trial_ids: Sequence[int], candidates: Sequence[tuple[int, int]] | None = None
) -> list[int]:
    """Which of these running trials Optuna's pruner would stop now, judged against the
    other runs of their sweep (ordered by id) and their objective series.

    Four queries whatever the number of trials: the candidates with their sweeps, the
    sweeps, the sweeps' runs and the runs' objective points; three when the caller read
    ``candidates`` already (the rows of ``prune_candidates_query``), none when there are
    none.
    """
    if not trial_ids:
        return []
    if candidates is None:
        sql, params = prune_candidates_query(trial_ids=trial_ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            candidates = cursor.fetchall()
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
