"""Groups, metrics and experiments: get-or-create with Kuro's rules."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from kuro.core.canonical import canonical_text, hyper_parameters_key
from kuro.core.errors import InvalidInput, PayloadTooLarge
from kuro.core.modes import check_mode, check_same_mode, resolve_mode
from kuro.server.tracking.models import Experiment, Group, Metric
from kuro.server.tracking.services.known import known

__all__ = [
    "experiment_get_or_create",
    "experiment_metrics_check",
    "group_get_or_create",
    "group_metrics_check",
    "metric_get_or_create",
]


def group_get_or_create(*, name: str) -> Group:
    """The group by name, created on first use."""
    group, _ = Group.objects.get_or_create(name=name)
    return group


def metric_get_or_create(
    *, group: Group, name: str, mode: str | None = None, field: str = "mode"
) -> Metric:
    """The metric of a group by name; its mode is given, inferred from the name, or fixed.

    Raises ``ModeRequired`` for a new metric whose mode cannot be inferred, and
    ``ModeConflict`` when ``mode`` contradicts the one the group already fixed.
    """
    mode = check_mode(mode, field)
    existing = Metric.objects.filter(group=group, name=name).first()
    if existing is None:
        resolved = resolve_mode(name, mode, group=group.name, field=field)
        group_metrics_check(group=group, adding=1, field=field)
        try:
            with transaction.atomic():
                return Metric.objects.create(group=group, name=name, mode=resolved)
        except IntegrityError:  # created meanwhile by another request: check it like any other
            existing = Metric.objects.get(group=group, name=name)
    check_same_mode(name, existing.mode, mode, group=group.name, field=field)
    return existing


def group_metrics_check(*, group: Group, adding: int, field: str = "metrics") -> None:
    """Refuse to grow a group past KURO_MAX_METRICS metrics (checked before the write)."""
    limit = settings.KURO_LIMITS["max_metrics"]
    if adding and Metric.objects.filter(group=group).count() + adding > limit:
        raise PayloadTooLarge(
            f"a group has at most {limit} metrics (KURO_MAX_METRICS)",
            field=field,
            detail={"field": field, "limit": limit},
        )


def experiment_get_or_create(
    *,
    group: str,
    identifier: str,
    hyper_parameters: dict[str, Any] | None = None,
    n_trials: int = 1,
    metrics: Iterable[tuple[str, str | None]] = (),
) -> Experiment:
    """The experiment of this setting, created on first use.

    A later call may raise ``n_trials`` (never lower it) and attach more metrics.
    """
    limits = settings.KURO_LIMITS
    if not 1 <= n_trials <= limits["max_trials"]:
        raise InvalidInput(
            f"n_trials is between 1 and {limits['max_trials']} (KURO_MAX_TRIALS), not {n_trials}",
            field="n_trials",
            detail={"field": "n_trials", "limit": limits["max_trials"]},
        )
    metrics = list(metrics)
    if len(metrics) > limits["max_metrics"]:
        raise PayloadTooLarge(
            f"an experiment has at most {limits['max_metrics']} metrics (KURO_MAX_METRICS)",
            field="metrics",
            detail={"field": "metrics", "limit": limits["max_metrics"]},
        )
    hyper_parameters = hyper_parameters or {}
    size = len(canonical_text(hyper_parameters).encode())
    if size > limits["max_hyper_parameters_bytes"]:
        raise PayloadTooLarge(
            f"hyper_parameters take {size} bytes as JSON; at most "
            f"{limits['max_hyper_parameters_bytes']} (KURO_MAX_HYPER_PARAMETERS_BYTES)",
            field="hyper_parameters",
            detail={"field": "hyper_parameters", "limit": limits["max_hyper_parameters_bytes"]},
        )
    key = hyper_parameters_key(hyper_parameters)
    with transaction.atomic():
        group_obj = group_get_or_create(name=group)
        metric_objs = [
            metric_get_or_create(group=group_obj, name=name, mode=mode, field=f"metrics[{i}]")
            for i, (name, mode) in enumerate(metrics)
        ]
        experiment, created = Experiment.objects.select_for_update().get_or_create(
            group=group_obj,
            identifier=identifier,
            hyper_parameters_key=key,
            defaults={"hyper_parameters": hyper_parameters, "n_trials": n_trials},
        )
        if not created and n_trials > experiment.n_trials:
            experiment.n_trials = n_trials
            experiment.save(update_fields=["n_trials"])
        if metric_objs:
            experiment_metrics_check(experiment=experiment, adding=len(metric_objs))
            experiment.metrics.add(*metric_objs)
            # The write path need not read these again (PostgreSQL): ``services.known``.
            transaction.on_commit(
                partial(
                    known.learn,
                    [],
                    [(m.pk, group_obj.pk, m.name, m.mode) for m in metric_objs],
                    [(experiment.pk, m.pk) for m in metric_objs],
                )
            )
    return experiment


def experiment_metrics_check(
    *, experiment: Experiment, adding: int, field: str = "metrics"
) -> None:
    """Refuse to grow an experiment past KURO_MAX_METRICS metrics."""
    limit = settings.KURO_LIMITS["max_metrics"]
    if adding and experiment.metrics.count() + adding > limit:
        raise PayloadTooLarge(
            f"an experiment has at most {limit} metrics (KURO_MAX_METRICS)",
            field=field,
            detail={"field": field, "limit": limit},
        )
