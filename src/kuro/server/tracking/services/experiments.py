"""Groups, metrics and experiments: get-or-create with Kuro's rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from kuro._errors import InvalidInput, ModeConflict, ModeRequired
from kuro._wire import MODES, infer_mode
from kuro.server.tracking.canonical import hyper_parameters_key, normalize
from kuro.server.tracking.models import Experiment, Group, Metric

__all__ = ["experiment_get_or_create", "group_get_or_create", "metric_get_or_create"]


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
    if mode is not None and mode not in MODES:
        raise InvalidInput(f"mode must be 'max' or 'min', not {mode!r}", field=field)
    existing = Metric.objects.filter(group=group, name=name).first()
    if existing is None:
        resolved = mode or infer_mode(name)
        if resolved is None:
            raise ModeRequired(
                f"metric {name!r} is new in group {group.name!r} and its mode cannot be "
                "inferred from its name: give mode='max' or mode='min'",
                field=field,
            )
        try:
            with transaction.atomic():
                return Metric.objects.create(group=group, name=name, mode=resolved)
        except IntegrityError:  # created meanwhile by another request: check it like any other
            existing = Metric.objects.get(group=group, name=name)
    if mode is not None and mode != existing.mode:
        raise ModeConflict(
            f"metric {name!r} of group {group.name!r} has mode {existing.mode!r}; "
            f"it was asked for with mode {mode!r}",
            detail={"field": field, "metric": name, "mode": existing.mode, "requested": mode},
        )
    return existing


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
    if n_trials < 1:
        raise InvalidInput("n_trials must be at least 1", field="n_trials")
    hyper_parameters = hyper_parameters or {}
    normalize(hyper_parameters)
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
            experiment.metrics.add(*metric_objs)
    return experiment
