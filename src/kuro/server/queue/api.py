"""Queue and sweeps endpoints: each validates, calls one service or selector, serializes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kuro.core.values import encode_value
from kuro.server.queue import selectors, services
from kuro.server.queue.models import Sweep
from kuro.server.queue.schemas import (
    EnqueueIn,
    EnqueueOut,
    QueueStatusOut,
    SweepDetailOut,
    SweepIn,
    SweepOut,
    WorkIn,
    WorkOut,
)
from kuro.server.tracking.schemas import ERRORS, PathId, QueryId
from kuro.server.tracking.selectors import trial_detail

router = Router(tags=["queue"])

_FLOATS = ("value", "mean", "std", "ci_low", "ci_high")


def _wire_config(config: dict[str, Any]) -> dict[str, Any]:
    """A configuration row with its floats as the wire writes them (None stays None)."""
    return {
        **config,
        **{k: None if config[k] is None else encode_value(config[k]) for k in _FLOATS},
    }


def _wire_sweep(detail: dict[str, Any]) -> dict[str, Any]:
    """``selectors.sweep_detail`` for the wire: JSON has no infinities or NaN."""
    best = detail["best"]
    return {
        **detail,
        "configs": [_wire_config(c) for c in detail["configs"]],
        "best": None if best is None else _wire_config(best),
    }


@router.post("/queue", response={200: EnqueueOut, **ERRORS})
def work_enqueue(request: HttpRequest, body: EnqueueIn) -> dict[str, Any]:
    """Queue n_trials trials of a setting, or of every combination of ``grid``'s values."""
    experiments, queued = services.work_enqueue(
        group=body.group,
        identifier=body.identifier,
        hyper_parameters=body.hyper_parameters,
        grid=body.grid,
        n_trials=body.n_trials,
        metrics=[(m.name, m.mode) for m in body.metrics],
        lease_seconds=body.lease_seconds,
        max_retries=body.max_retries,
    )
    return {"experiments": [e.pk for e in experiments], "queued": queued}


@router.get("/queue", response={200: QueueStatusOut, **ERRORS})
def queue_status(
    request: HttpRequest, group: str | None = None, sweep: QueryId | None = None
) -> dict[str, Any]:
    """Counts of queued work by status, for a group, a sweep, or everything."""
    return selectors.queue_status(group=group, sweep_id=sweep)


@router.post("/work", response={200: WorkOut, **ERRORS})
def work_claim(request: HttpRequest, body: WorkIn) -> dict[str, Any]:
    """Claim the next queued trial (of a group or a sweep): ``trial: null`` when none."""
    trial = services.work_claim(worker=body.worker, group=body.group, sweep_id=body.sweep)
    if trial is not None:
        return {"trial": trial_detail(trial_id=trial.pk), "reason": None}
    finished = (
        body.sweep is not None
        and Sweep.objects.filter(pk=body.sweep, status=Sweep.Status.FINISHED).exists()
    )
    return {"trial": None, "reason": "sweep_finished" if finished else "queue_empty"}


@router.post("/sweeps", response={200: SweepOut, **ERRORS}, tags=["sweeps"])
def sweep_create(request: HttpRequest, body: SweepIn) -> dict[str, Any]:
    """Create a sweep: a search space, an objective metric, an Optuna sampler and pruner."""
    sweep = services.sweep_create(**body.model_dump())
    return _wire_sweep(selectors.sweep_detail(sweep_id=sweep.pk))


@router.get("/sweeps", response={200: list[SweepOut], **ERRORS}, tags=["sweeps"])
def sweep_list(request: HttpRequest) -> list[dict[str, Any]]:
    return selectors.sweep_list()


@router.get("/sweeps/{sweep_id}", response={200: SweepDetailOut, **ERRORS}, tags=["sweeps"])
def sweep_detail(request: HttpRequest, sweep_id: PathId) -> dict[str, Any]:
    """Progress by status, every configuration with mean ± std and the 95% interval of the
    mean over its trials, the best."""
    return _wire_sweep(selectors.sweep_detail(sweep_id=sweep_id))


@router.get(
    "/sweeps/{sweep_id}/importance", response={200: dict[str, float], **ERRORS}, tags=["sweeps"]
)
def sweep_importance(request: HttpRequest, sweep_id: PathId) -> dict[str, float]:
    """Optuna's parameter importances over the scored configurations."""
    return selectors.sweep_importance(sweep_id=sweep_id)
