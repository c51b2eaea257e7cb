"""Reads of groups and experiments, a whole group in a handful of queries."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count

from kuro.core.errors import NotFound
from kuro.server.tracking.models import Experiment, Group, Metric, Trial
from kuro.server.tracking.selectors.moments import iso
from kuro.server.tracking.selectors.trials import trial_row, trial_summaries

__all__ = ["experiment_detail", "experiment_dict", "group_experiments", "group_list"]


def group_list() -> list[dict[str, Any]]:
    """Every group with its numbers of experiments and trials."""
    groups = Group.objects.annotate(
        n_experiments=Count("experiments", distinct=True),
        n_trials=Count("experiments__trials", distinct=True),
    ).order_by("name")
    return [
        {
            "name": g.name,
            "created_at": iso(g.created_at),
            "n_experiments": g.n_experiments,
            "n_trials": g.n_trials,
        }
        for g in groups
    ]


def experiment_dict(experiment: Experiment, metric_names: list[str]) -> dict[str, Any]:
    return {
        "id": experiment.pk,
        "group": getattr(experiment, "group_name", None) or experiment.group.name,
        "identifier": experiment.identifier,
        "hyper_parameters": experiment.hyper_parameters,
        "n_trials": experiment.n_trials,
        "metrics": metric_names,
        "created_at": iso(experiment.created_at),
    }


def experiment_detail(*, experiment_id: int) -> dict[str, Any]:
    """One experiment with its metrics (name and mode)."""
    experiment = Experiment.objects.select_related("group").filter(pk=experiment_id).first()
    if experiment is None:
        raise NotFound(
            f"experiment {experiment_id} does not exist", detail={"field": "experiment_id"}
        )
    metrics = list(experiment.metrics.order_by("name").values("name", "mode"))
    data = experiment_dict(experiment, [m["name"] for m in metrics])
    data["metric_modes"] = {m["name"]: m["mode"] for m in metrics}
    data["n_trials_started"] = experiment.trials.count()
    return data


def _get_group(name: str) -> Group:
    group = Group.objects.filter(name=name).first()
    if group is None:
        raise NotFound(f"group {name!r} does not exist", detail={"field": "group"})
    return group


_TRIAL_FIELDS = (
    "id",
    "experiment_id",
    "number",
    "attempt",
    "worker__name",
    "status",
    "error",
    "extra",
    "created_at",
    "started_at",
    "ended_at",
    "heartbeat_at",
    "lease_expires_at",
)


def group_experiments(*, group: str) -> dict[str, Any]:
    """A group's metrics and experiments, each with its trials and their summaries.

    Six queries whatever the size of the group; rows are read as tuples (a trial's run
    context, and a model instance per row, cost more than the rest of the read).
    """
    group_obj = _get_group(group)
    metrics = list(Metric.objects.filter(group=group_obj).order_by("name").values("name", "mode"))
    experiments = Experiment.objects.filter(group=group_obj).order_by("identifier", "id")
    links = Experiment.metrics.through.objects.filter(experiment__group=group_obj).values_list(
        "experiment_id", "metric__name"
    )
    names_of: dict[int, list[str]] = defaultdict(list)
    for experiment_id, name in links:
        names_of[experiment_id].append(name)
    trials = (
        Trial.objects.filter(experiment__group=group_obj)
        .order_by("experiment_id", "number")
        .values_list(*_TRIAL_FIELDS)
    )
    summaries = trial_summaries(group_id=group_obj.pk)
    trials_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in trials:
        trials_of[row[1]].append(trial_row(row, summaries.get(row[0])))
    out = []
    for pk, identifier, hyper_parameters, n_trials, created_at in experiments.values_list(
        "id", "identifier", "hyper_parameters", "n_trials", "created_at"
    ):
        mine = trials_of[pk]
        # The fields and order of ``experiment_dict``.
        out.append(
            {
                "id": pk,
                "group": group_obj.name,
                "identifier": identifier,
                "hyper_parameters": hyper_parameters,
                "n_trials": n_trials,
                "metrics": sorted(names_of[pk]),
                "created_at": iso(created_at),
                "trials": mine,
                "status_counts": dict(Counter(t["status"] for t in mine)),
            }
        )
    return {"group": group_obj.name, "metrics": metrics, "experiments": out}
