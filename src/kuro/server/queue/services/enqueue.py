"""Putting work on the queue: experiments whose trials wait, queued, for a worker."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from kuro.core.errors import InvalidInput
from kuro.core.limits import GRID_MAX
from kuro.server.tracking.models import Experiment, Trial
from kuro.server.tracking.services import experiment_get_or_create

__all__ = ["grid_expand", "queue_trials", "work_enqueue"]


def grid_expand(
    *, hyper_parameters: dict[str, Any], grid: dict[str, list[Any]] | None
) -> list[dict[str, Any]]:
    """Every combination of ``grid``'s values, each merged over ``hyper_parameters``."""
    if not grid:
        return [dict(hyper_parameters)]
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise InvalidInput(
                f"grid.{name} must be a non-empty list of values", field=f"grid.{name}"
            )
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > GRID_MAX:
        raise InvalidInput(
            f"the grid has {size} combinations; at most {GRID_MAX}",
            field="grid",
            detail={"field": "grid", "limit": GRID_MAX, "size": size},
        )
    names = list(grid)
    return [
        {**hyper_parameters, **dict(zip(names, combination, strict=True))}
        for combination in itertools.product(*(grid[n] for n in names))
    ]


def work_enqueue(
    *,
    group: str,
    identifier: str,
    hyper_parameters: dict[str, Any] | None = None,
    grid: dict[str, list[Any]] | None = None,
    n_trials: int = 1,
    metrics: Iterable[tuple[str, str | None]] = (),
    lease_seconds: int | None = None,
    max_retries: int | None = None,
) -> tuple[list[Experiment], int]:
    """Queue ``n_trials`` trials of each setting (one, or every combination of ``grid``);
    answers the experiments and how many trials were queued now.

    Settings already queued or run are not queued twice: an experiment gets queued trials
    only for the numbers it does not have yet.
    """
    defaults = settings.KURO_QUEUE
    lease = lease_seconds if lease_seconds is not None else defaults["lease_seconds"]
    retries = max_retries if max_retries is not None else defaults["max_retries"]
    if lease < 1:
        raise InvalidInput("lease_seconds must be at least 1", field="lease_seconds")
    settings_list = grid_expand(hyper_parameters=hyper_parameters or {}, grid=grid)
    metrics = list(metrics)
    experiments = []
    queued = 0
    with transaction.atomic():
        for hp in settings_list:
            experiment = experiment_get_or_create(
                group=group,
                identifier=identifier,
                hyper_parameters=hp,
                n_trials=n_trials,
                metrics=metrics,
            )
            queued += queue_trials(experiment=experiment, lease_seconds=lease, max_retries=retries)
            experiments.append(experiment)
    return experiments, queued


def queue_trials(*, experiment: Experiment, lease_seconds: int, max_retries: int) -> int:
    """Queued trials for every number below ``n_trials`` the experiment does not have."""
    taken = set(experiment.trials.values_list("number", flat=True))
    missing = [n for n in range(experiment.n_trials) if n not in taken]
    Trial.objects.bulk_create(
        Trial(
            experiment=experiment,
            number=n,
            status=Trial.Status.QUEUED,
            lease_seconds=lease_seconds,
            max_retries=max_retries,
        )
        for n in missing
    )
    return len(missing)
