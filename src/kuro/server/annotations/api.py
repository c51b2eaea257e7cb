"""The annotations part of the JSON API: tags and notes of experiments and trials. Writes
need what every write needs (a full token, or auth off); each function validates, calls
one service or selector, and serializes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from kuro.server.annotations import selectors, services
from kuro.server.annotations.schemas import (
    AnnotationsIn,
    AnnotationsOut,
    GroupAnnotationsOut,
)
from kuro.server.tracking.schemas import ERRORS, PathId

__all__ = ["router"]

router = Router(tags=["annotations"])


def _update(kind: str, ident: int, body: AnnotationsIn) -> dict[str, Any]:
    services.annotation_update(
        kind=kind, ident=ident, add=body.add, remove=body.remove, note=body.note
    )
    return selectors.annotation_detail(kind=kind, ident=ident)


@router.get("/experiments/{experiment_id}/annotations", response={200: AnnotationsOut, **ERRORS})
def experiment_annotations(request: HttpRequest, experiment_id: PathId):
    """The experiment's tags and note."""
    return selectors.annotation_detail(kind="experiment", ident=experiment_id)


@router.post("/experiments/{experiment_id}/annotations", response={200: AnnotationsOut, **ERRORS})
def experiment_annotate(request: HttpRequest, experiment_id: PathId, body: AnnotationsIn):
    """Remove tags, add tags, set the note of an experiment (idempotent); answers the
    result."""
    return _update("experiment", experiment_id, body)


@router.get("/trials/{trial_id}/annotations", response={200: AnnotationsOut, **ERRORS})
def trial_annotations(request: HttpRequest, trial_id: PathId):
    """The trial's tags and note."""
    return selectors.annotation_detail(kind="trial", ident=trial_id)


@router.post("/trials/{trial_id}/annotations", response={200: AnnotationsOut, **ERRORS})
def trial_annotate(request: HttpRequest, trial_id: PathId, body: AnnotationsIn):
    """Remove tags, add tags, set the note of a trial (idempotent); answers the result."""
    return _update("trial", trial_id, body)


@router.get("/annotations", response={200: GroupAnnotationsOut, **ERRORS})
def group_annotations(request: HttpRequest, group: str):
    """Every experiment and trial of ``group`` that carries a tag or a note."""
    found = selectors.group_annotations(group=group)
    return {
        "group": group,
        **{
            kind: [{"id": i, **a} for i, a in sorted(found[kind].items())]
            for kind in ("experiments", "trials")
        },
    }
