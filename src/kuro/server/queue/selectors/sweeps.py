"""Reads of sweeps: the list, one sweep's progress and configurations, and Optuna's
parameter importances.

Values are floats (NaN and ±infinity included, as everywhere in Python); the API encodes
them at its edge.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count

from kuro.core.errors import NotFound
from kuro.core.modes import Mode, is_better
from kuro.server.queue.models import Sweep, SweepConfig
from kuro.server.queue.scoring import (
    complete_bests,
    config_score,
    config_statistics,
    config_trials_done,
)
from kuro.server.queue.space import distributions_of
from kuro.server.queue.studies import Config, build_study
from kuro.server.tracking.models import Trial
from kuro.server.tracking.selectors import trial_summaries
from kuro.server.tracking.selectors.moments import iso

__all__ = ["sweep_detail", "sweep_importance", "sweep_list"]


def _get_sweep(sweep_id: int) -> Sweep:
    sweep = Sweep.objects.select_related("group", "objective").filter(pk=sweep_id).first()
    if sweep is None:
        raise NotFound(f"sweep {sweep_id} does not exist", detail={"field": "sweep_id"})
    return sweep


def _sweep_dict(sweep: Sweep) -> dict[str, Any]:
    return {
        "id": sweep.pk,
        "name": sweep.name,
        "group": sweep.group.name,
        "identifier": sweep.identifier,
        "space": sweep.space,
        "fixed": sweep.fixed,
        "objective": sweep.objective.name,
        "mode": sweep.objective.mode,
        "sampler": sweep.sampler,
        "seed": sweep.seed,
        "max_configs": sweep.max_configs,
        "n_trials": sweep.n_trials,
        "pruner": sweep.pruner,
        "status": sweep.status,
        "created_at": iso(sweep.created_at),
    }


def sweep_list() -> list[dict[str, Any]]:
    """Every sweep, newest first, with how many configurations it proposed."""
    sweeps = Sweep.objects.select_related("group", "objective").annotate(n_configs=Count("configs"))
    return [{**_sweep_dict(s), "n_configs": s.n_configs} for s in sweeps.order_by("-id")]


def sweep_detail(*, sweep_id: int) -> dict[str, Any]:
    """A sweep's progress by trial status, each configuration with the mean, std and 95%
    interval of the mean (Student t) of its trials' best objective values, and the best
    configuration so far (in four queries).

    ``value`` is a scored configuration's value; ``mean``, ``std``, ``ci_low`` and
    ``ci_high`` are None without a complete trial; ``std`` is NaN when an infinite best
    leaves no spread to speak of, the interval NaN then and for a single complete trial.
    ``n_complete`` is the number of values they summarise."""
    sweep = _get_sweep(sweep_id)
    configs = list(sweep.configs.order_by("number"))
    trials = list(
        Trial.objects.filter(experiment__sweep_config__sweep=sweep).order_by("number", "attempt")
    )
    summaries = trial_summaries(trial_ids=[t.pk for t in trials])
    by_experiment: dict[int, list[Trial]] = defaultdict(list)
    for t in trials:
        by_experiment[t.experiment_id].append(t)
    objective = sweep.objective.name
    rows = []
    for config in configs:
        mine = [t for t in by_experiment[config.experiment_id] if t.status != Trial.Status.LOST]
        state, value = config.state, config.value
        if state == SweepConfig.State.RUNNING and config_trials_done(mine):
            # Done but not yet told to the sampler (that happens at the next ask).
            state, value = config_score(trials=mine, summaries=summaries, objective=objective)
        bests = complete_bests(mine, summaries, objective)
        stats = config_statistics(bests)
        rows.append(
            {
                "number": config.number,
                "experiment_id": config.experiment_id,
                "params": config.params,
                "state": state,
                "value": value,
                "mean": stats.mean if bests else None,
                "std": stats.std if bests else None,
                "ci_low": stats.ci_low if bests else None,
                "ci_high": stats.ci_high if bests else None,
                "n_complete": stats.n,
                "status_counts": dict(
                    Counter(t.status for t in by_experiment[config.experiment_id])
                ),
            }
        )
    return {
        **_sweep_dict(sweep),
        "status_counts": dict(Counter(t.status for t in trials)),
        "n_configs": len(configs),
        "configs": rows,
        "best": _best_row(rows, sweep.objective.mode),
    }


def _best_row(rows: Iterable[dict[str, Any]], mode: Mode) -> dict[str, Any] | None:
    """The scored configuration with the best value (the first of equals)."""
    best: dict[str, Any] | None = None
    for row in rows:
        value = row["value"]
        if row["state"] != SweepConfig.State.COMPLETE or value is None or math.isnan(value):
            continue
        if best is None or is_better(value, best["value"], mode):
            best = row
    return best


def sweep_importance(*, sweep_id: int) -> dict[str, float]:
    """Optuna's parameter importances (fANOVA) over the scored configurations with a
    finite value; empty until two configurations have one."""
    sweep = _get_sweep(sweep_id)
    # An infinite value has no variance to apportion (Optuna's evaluators skip it too).
    configs = [
        Config(c.params, c.state, c.value, {})
        for c in sweep.configs.filter(state=SweepConfig.State.COMPLETE, value__isnull=False)
        if c.value is not None and math.isfinite(c.value)
    ]
    if len(configs) < 2:
        return {}
    from optuna.importance import get_param_importances

    study = build_study(
        direction=sweep.objective.mode,
        sampler=None,
        distributions=distributions_of(sweep.space),
        configs=configs,
    )
    try:
        return {k: float(v) for k, v in get_param_importances(study).items()}
    except (RuntimeError, ValueError):  # e.g. every value identical: nothing to apportion
        return {}
