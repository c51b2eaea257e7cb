"""POST /points, /trials/{id}/heartbeat and /trials/{id}/end: each validates, calls one
service (and the queue's ``prune_flags`` selector for the verdict), and serializes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kuro.core.errors import InvalidInput
from kuro.core.values import decode_value, decode_values
from kuro.server.queue.selectors import prune_candidates_query, prune_flags
from kuro.server.queue.services import trial_end_requeued
from kuro.server.tracking import selectors, services
from kuro.server.tracking.schemas import (
    ERRORS,
    BatchIn,
    BatchOut,
    EndIn,
    HeartbeatOut,
    PathId,
    TrialDetailOut,
)
from kuro.server.tracking.selectors.moments import iso

__all__ = ["router"]

router = Router()


@router.post(
    "/trials/{trial_id}/heartbeat", response={200: HeartbeatOut, **ERRORS}, tags=["trials"]
)
def trial_heartbeat(request: HttpRequest, trial_id: PathId) -> dict[str, Any]:
    """The trial's worker is alive."""
    trial = services.trial_heartbeat(trial_id=trial_id)
    return {
        "id": trial.pk,
        "status": trial.status,
        "heartbeat_at": iso(trial.heartbeat_at),
        "lease_expires_at": iso(trial.lease_expires_at),
        "should_prune": bool(prune_flags(trial_ids=[trial.pk])),
    }


@router.post("/trials/{trial_id}/end", response={200: TrialDetailOut, **ERRORS}, tags=["trials"])
def trial_end(request: HttpRequest, trial_id: PathId, body: EndIn) -> dict[str, Any]:
    """End a trial as complete or failed (with the error text). With ``requeue`` (a failed
    trial only: an agent told to stop at once), its work goes back to the queue as the next
    attempt, within the retry budget."""
    if body.requeue:
        if body.status != "failed":
            raise InvalidInput("only a failed trial is queued again", field="requeue")
        trial_end_requeued(trial_id=trial_id, error=body.error)
    else:
        services.trial_end(trial_id=trial_id, status=body.status, error=body.error)
    return selectors.trial_detail(trial_id=trial_id)


@router.post("/points", response={200: BatchOut, **ERRORS}, tags=["points"])
def points_ingest(request: HttpRequest, body: BatchIn) -> dict[str, Any]:
    """Upsert a batch of points, as series and/or single points, for one or many trials.

    A batch with a ``batch_id`` already applied is not applied again (``duplicate: true``).
    ``prune`` lists the trials of sweeps that the sweep's pruner says to stop now.
    """
    series = [
        services.PointSeries(
            trial_id=s.trial_id,
            metric=s.metric,
            steps=s.steps,
            values=decode_values(s.values),
            times=s.times,
            mode=s.mode,
        )
        for s in body.series
    ]
    series += [
        services.PointSeries(
            trial_id=p.trial_id,
            metric=p.metric,
            steps=[p.step],
            values=[decode_value(p.value)],
            times=[p.time] if p.time is not None else [],
            mode=p.mode,
        )
        for p in body.points
    ]
    trial_ids = sorted({s.trial_id for s in series})
    # The prune verdict's first read travels with the batch's reads: a batch outside any
    # sweep with a pruner costs no query for it.
    also_read = [prune_candidates_query(trial_ids=trial_ids)] if trial_ids else []
    result = services.points_ingest(series=series, batch_id=body.batch_id, also_read=also_read)
    prune = (
        []
        if result.duplicate or not trial_ids
        else prune_flags(trial_ids=trial_ids, candidates=result.read[0])
    )
    return {"n_points": result.n_points, "duplicate": result.duplicate, "prune": prune}
