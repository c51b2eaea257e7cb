"""Reads of the queue and sweeps: counts by status, sweep progress and best configuration,
pruning verdicts, parameter importance."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count

from kuro.core.errors import NotFound
from kuro.server.queue import optuna_glue
from kuro.server.queue.models import Sweep, SweepConfig
from kuro.server.queue.services.sweeps import config_score, config_trials_done
from kuro.server.tracking.models import Trial
from kuro.server.tracking.selectors import metric_history, trial_summaries
from kuro.server.tracking.selectors.wire import iso

__all__ = [
    "prune_flags",
    "queue_status",
    "sweep_detail",
    "sweep_importance",
    "sweep_list",
]


def queue_status(*, group: str | None = None, sweep_id: int | None = None) -> dict[str, Any]:
    """Trials of queued work by status (work with a lease: enqueued or from a sweep)."""
    trials = Trial.objects.filter(lease_seconds__isnull=False)
    if group is not None:
        trials = trials.filter(experiment__group__name=group)
    if sweep_id is not None:
        trials = trials.filter(experiment__sweep_config__sweep_id=sweep_id)
    counts = dict(trials.values_list("status").annotate(n=Count("id")).order_by())
    return {"group": group, "sweep": sweep_id, "counts": counts, "total": sum(counts.values())}


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
    sweeps = Sweep.objects.select_related("group", "objective").annotate(n_configs=Count("configs"))
    return [{**_sweep_dict(s), "n_configs": s.n_configs} for s in sweeps.order_by("-id")]


def sweep_detail(*, sweep_id: int) -> dict[str, Any]:
    """A sweep's progress by trial status, each configuration with mean ± std of its
    trials' best objective values, and the best configuration so far."""
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
            state, value = config_score(sweep, mine, summaries)
        bests = [
            float(best)
            for t in mine
            if t.status == Trial.Status.COMPLETE
            and isinstance(
                best := summaries.get(t.pk, {}).get(objective, {}).get("best"), (int, float)
            )
        ]
        rows.append(
            {
                "number": config.number,
                "experiment_id": config.experiment_id,
                "params": config.params,
                "state": state,
                "value": value,
                "mean": statistics.fmean(bests) if bests else None,
                "std": statistics.stdev(bests) if len(bests) > 1 else (0.0 if bests else None),
                "n_complete": len(bests),
                "status_counts": dict(
                    Counter(t.status for t in by_experiment[config.experiment_id])
                ),
            }
        )
    scored = [
        r for r in rows if r["state"] == SweepConfig.State.COMPLETE and r["value"] is not None
    ]
    pick = max if sweep.objective.mode == "max" else min
    best = pick(scored, key=lambda r: r["value"]) if scored else None
    return {
        **_sweep_dict(sweep),
        "status_counts": dict(Counter(t.status for t in trials)),
        "n_configs": len(configs),
        "configs": rows,
        "best": best,
    }


def sweep_importance(*, sweep_id: int) -> dict[str, float]:
    """Optuna's parameter importances (fANOVA) over the scored configurations; empty until
    two configurations are scored."""
    sweep = _get_sweep(sweep_id)
    configs = [
        {"params": c.params, "state": c.state, "value": c.value, "system_attrs": {}}
        for c in sweep.configs.filter(state=SweepConfig.State.COMPLETE, value__isnull=False)
    ]
    if len(configs) < 2:
        return {}
    import optuna

    study = optuna_glue.build_study(
        direction=sweep.objective.mode,
        sampler=None,
        distributions=optuna_glue.distributions_of(sweep.space),
        configs=configs,
    )
    try:
        return {k: float(v) for k, v in optuna.importance.get_param_importances(study).items()}
    except (RuntimeError, ValueError):  # e.g. every value identical: nothing to apportion
        return {}


_PRUNE_CACHE: dict[int, tuple[float, list[dict[str, Any]], int]] = {}
_PRUNE_TTL = 2.0


def prune_flags(*, trial_ids: list[int]) -> list[int]:
    """Which of these running trials Optuna's pruner would stop now, judged against the
    other runs of their sweep (their objective series, kept a couple of seconds per process
    so that busy sweeps do not reload every run on every batch)."""
    if not trial_ids:
        return []
    candidates = list(
        Trial.objects.filter(
            pk__in=trial_ids,
            status=Trial.Status.RUNNING,
            experiment__sweep_config__isnull=False,
        )
        .exclude(experiment__sweep_config__sweep__pruner=Sweep.Pruner.NONE)
        .values_list("pk", "experiment__sweep_config__sweep_id")
    )
    out = []
    for trial_id, sweep_id in candidates:
        sweep = Sweep.objects.select_related("objective").get(pk=sweep_id)
        others = [r for r in _sweep_runs(sweep) if r["id"] != trial_id]
        own = metric_history(trial_ids=[trial_id], metrics=[sweep.objective.name])[0]["metrics"]
        series = own.get(sweep.objective.name)
        if not series:
            continue
        me = {
            "id": trial_id,
            "state": "running",
            "value": None,
            "intermediate": _intermediate(series),
        }
        study = optuna_glue.build_pruning_study(
            direction=sweep.objective.mode,
            pruner=optuna_glue.make_pruner(sweep.pruner, sweep.pruner_options),
            runs=[*others, me],
        )
        if optuna_glue.should_prune(study, len(others)):
            out.append(trial_id)
    return out


def _intermediate(series: dict[str, Any]) -> dict[int, float]:
    return {
        step: value
        for step, value in zip(series["steps"], series["values"], strict=True)
        if isinstance(value, (int, float))
    }


def _sweep_runs(sweep: Sweep) -> list[dict[str, Any]]:
    # Kept while no run of the sweep has ended since (pruners judge against ended runs),
    # and for a couple of seconds at most.
    ended = Trial.objects.filter(
        experiment__sweep_config__sweep=sweep, status__in=Trial.ENDED
    ).count()
    cached = _PRUNE_CACHE.get(sweep.pk)
    now = time.monotonic()
    if cached and cached[2] == ended and now - cached[0] < _PRUNE_TTL:
        return cached[1]
    trials = list(
        Trial.objects.filter(experiment__sweep_config__sweep=sweep)
        .exclude(status__in=[Trial.Status.QUEUED, Trial.Status.LOST])
        .order_by("id")
        .values_list("pk", "status")
    )
    runs = []
    objective = sweep.objective.name
    for start in range(0, len(trials), 500):
        chunk = trials[start : start + 500]
        histories = metric_history(trial_ids=[pk for pk, _ in chunk], metrics=[objective])
        for (pk, status), history in zip(chunk, histories, strict=True):
            series = history["metrics"].get(objective)
            intermediate = _intermediate(series) if series else {}
            best = None
            if intermediate:
                pick = max if sweep.objective.mode == "max" else min
                best = pick(intermediate.values())
            runs.append({"id": pk, "state": status, "value": best, "intermediate": intermediate})
    _PRUNE_CACHE[sweep.pk] = (now, runs, ended)
    return runs
