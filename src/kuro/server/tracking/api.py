"""The tracking app's part of the JSON API under /api/v1/: each function validates, calls
one service or selector, and serializes. Errors are raised as ``kuro.core.errors`` classes
and answered by ``kuro.server.errors``. Endpoints that also answer a queue verdict (points,
heartbeats, ends) are in ``kuro.server.endpoints``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router

from kuro import __version__
from kuro.core.comparison import Statistic
from kuro.core.errors import InvalidInput
from kuro.core.limits import ID_MAX, STEP_MAX, STEP_MIN
from kuro.server.tracking import selectors, services
from kuro.server.tracking.schemas import (
    ERRORS,
    AcquireIn,
    AcquireOut,
    ComparisonOut,
    ContextIn,
    ErrorOut,
    ExperimentDetailOut,
    ExperimentIn,
    GroupExperimentsOut,
    GroupOut,
    HealthOut,
    HistoryIn,
    MetricIn,
    MetricOut,
    PathId,
    TrialDetailOut,
    TrialHistoryOut,
    WorkerIn,
    WorkerOut,
)
from kuro.server.wire import export_wire

router = Router()


@router.get("/health", response={200: HealthOut, 500: ErrorOut}, tags=["server"], auth=None)
def health(request: HttpRequest) -> dict[str, Any]:
    """Liveness check, server version, and the request limits this server enforces (clients
    size their batches by them)."""
    return {"status": "ok", "version": __version__, "limits": settings.KURO_LIMITS}


# Workers ---------------------------------------------------------------------------------


@router.post("/workers", response={200: WorkerOut, **ERRORS}, tags=["workers"])
def worker_register(request: HttpRequest, body: WorkerIn):
    """Register a worker, or refresh what it says of itself."""
    services.worker_register(**body.model_dump(exclude_none=False))
    return selectors.worker_detail(name=body.name)


@router.get("/workers", response={200: list[WorkerOut], **ERRORS}, tags=["workers"])
def worker_list(request: HttpRequest):
    return selectors.worker_list()


@router.get("/workers/{name}", response={200: WorkerOut, **ERRORS}, tags=["workers"])
def worker_detail(request: HttpRequest, name: str):
    return selectors.worker_detail(name=name)


# Groups, metrics, experiments -----------------------------------------------------------


@router.get("/groups", response={200: list[GroupOut], **ERRORS}, tags=["groups"])
def group_list(request: HttpRequest):
    """Every group with its counts of experiments and trials."""
    return selectors.group_list()


@router.post("/metrics", response={200: MetricOut, **ERRORS}, tags=["groups"])
def metric_get_or_create(request: HttpRequest, body: MetricIn):
    """Get or create a metric of a group; its mode is given or inferred (acc: max, loss: min)."""
    group = services.group_get_or_create(name=body.group)
    metric = services.metric_get_or_create(group=group, name=body.name, mode=body.mode)
    return {"group": group.name, "name": metric.name, "mode": metric.mode}


@router.post("/experiments", response={200: ExperimentDetailOut, **ERRORS}, tags=["experiments"])
def experiment_get_or_create(request: HttpRequest, body: ExperimentIn):
    """Get or create the experiment of a setting; answers its metrics and n_trials."""
    experiment = services.experiment_get_or_create(
        group=body.group,
        identifier=body.identifier,
        hyper_parameters=body.hyper_parameters,
        n_trials=body.n_trials,
        metrics=[(m.name, m.mode) for m in body.metrics],
    )
    return selectors.experiment_detail(experiment_id=experiment.pk)


@router.get("/experiments", response={200: GroupExperimentsOut, **ERRORS}, tags=["experiments"])
def group_experiments(request: HttpRequest, group: str):
    """A group's experiments with their trials and per-trial summaries (best, last, count)."""
    return selectors.group_experiments(group=group)


@router.get(
    "/experiments/{experiment_id}",
    response={200: ExperimentDetailOut, **ERRORS},
    tags=["experiments"],
)
def experiment_detail(request: HttpRequest, experiment_id: PathId):
    return selectors.experiment_detail(experiment_id=experiment_id)


_STATISTIC = Query(
    "best",
    description="each complete trial's value: best (by the metric's mode), last, "
    "step (its value at `step`) or summary",
)


@router.get("/compare", response={200: ComparisonOut, **ERRORS}, tags=["experiments"])
def metric_comparison(
    request: HttpRequest,
    group: str = Query(..., description="the group whose settings are compared"),
    metric: str = Query(..., description="the metric to compare them on"),
    statistic: Statistic = _STATISTIC,
    step: int | None = Query(
        None, ge=STEP_MIN, le=STEP_MAX, description="the step, with statistic=step"
    ),
    bootstrap: int = Query(
        0, ge=0, le=100_000, description="bootstrap resamples for a second, seeded interval"
    ),
) -> dict[str, Any]:
    """Rank a group's settings on ``metric`` by the mean over complete trials of each trial's
    ``statistic`` (``best`` by the metric's mode, ``last``, the value at ``step`` with
    ``statistic=step``, or the ``summary`` value), each with its 95% interval, and compare
    each with the leader: the difference and its Welch interval, Welch's p-value, the
    probability of improvement, and a verdict in words (with ``bootstrap`` resamples, also
    a seeded bootstrap interval)."""
    return selectors.metric_comparison(
        group=group, metric=metric, statistic=statistic, step=step, bootstrap=bootstrap
    )


@router.get("/export", response={200: dict[str, Any], **ERRORS}, tags=["experiments"])
def group_export(request: HttpRequest, group: str):
    """Every experiment, trial and full metric series of a group (schema ``kuro.export/1``)."""
    return export_wire(selectors.group_export(group=group))


# Trials ----------------------------------------------------------------------------------


@router.post(
    "/experiments/{experiment_id}/trials",
    response={200: AcquireOut, **ERRORS},
    tags=["trials"],
)
def trial_acquire(request: HttpRequest, experiment_id: PathId, body: AcquireIn):
    """Resume this worker's unfinished trial held by the same client ``session``, by one of
    the dead sessions it names in ``resume``, or whose holder's lease expired; else start a
    new one, else ``trial: null``. With ``extra`` (replaying offline work), a trial beyond
    n_trials is made, marked extra. With ``context``, the trial records it as ``POST
    /trials/{id}/context`` would, unless it has one (a resumed trial keeps its own)."""
    context = body.context
    trial = services.trial_acquire(
        experiment_id=experiment_id,
        worker=body.worker,
        extra=body.extra,
        session=body.session,
        resume=body.resume,
        context=None if context is None else _context_fields(context),
        packages=None if context is None else context.packages,
        packages_hash=None if context is None else context.packages_hash,
    )
    if trial is None:
        return {"trial": None, "reason": "no_more_trials"}
    return {"trial": selectors.trial_detail(trial_id=trial.pk), "reason": None}


@router.get("/trials/{trial_id}", response={200: TrialDetailOut, **ERRORS}, tags=["trials"])
def trial_detail(request: HttpRequest, trial_id: PathId):
    return selectors.trial_detail(trial_id=trial_id)


@router.post(
    "/trials/{trial_id}/context", response={200: TrialDetailOut, **ERRORS}, tags=["trials"]
)
def trial_context_record(request: HttpRequest, trial_id: PathId, body: ContextIn):
    """Record what the trial was (git state, command, host, packages); a resend sets the
    same again. ``packages`` may be left out when the server holds the set named by
    ``packages_hash`` (else 404 naming ``packages_hash``)."""
    services.trial_context_record(
        trial_id=trial_id,
        context=_context_fields(body),
        packages=body.packages,
        packages_hash=body.packages_hash,
    )
    return selectors.trial_detail(trial_id=trial_id)


def _context_fields(body: ContextIn) -> dict[str, Any]:
    """What a trial's ``context`` holds: the body without its packages (a shared set)."""
    return body.model_dump(exclude={"packages", "packages_hash"})


# Points and histories --------------------------------------------------------------------


def _trial_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        ids = None
    if ids is None or not all(1 <= i <= ID_MAX for i in ids):
        raise InvalidInput(
            "trial_ids is a comma-separated list of positive 64-bit integers", field="trial_ids"
        )
    if not ids:
        raise InvalidInput("trial_ids names no trial", field="trial_ids")
    return ids


@router.get("/history", response={200: list[TrialHistoryOut], **ERRORS}, tags=["points"])
def metric_history(
    request: HttpRequest,
    trial_ids: str,
    metrics: str | None = None,
    max_points: int | None = Query(None, ge=2),
    step_min: int | None = Query(None, ge=STEP_MIN, le=STEP_MAX),
    step_max: int | None = Query(None, ge=STEP_MIN, le=STEP_MAX),
):
    """Metric series of many trials (``trial_ids=1,2,3``), optionally downsampled keeping
    minima and maxima (``max_points``), optionally one range of steps (``step_min``,
    ``step_max``, inclusive)."""
    names = [m for m in (metrics or "").split(",") if m] or None
    return selectors.metric_history(
        trial_ids=_trial_ids(trial_ids),
        metrics=names,
        max_points=max_points,
        step_min=step_min,
        step_max=step_max,
    )


@router.post("/history", response={200: list[TrialHistoryOut], **ERRORS}, tags=["points"])
def metric_history_post(request: HttpRequest, body: HistoryIn):
    """The same as ``GET /history``, for lists of trials too long for a URL."""
    return selectors.metric_history(
        trial_ids=body.trial_ids,
        metrics=body.metrics,
        max_points=body.max_points,
        step_min=body.step_min,
        step_max=body.step_max,
    )
