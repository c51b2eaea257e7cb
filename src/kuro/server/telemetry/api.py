"""The telemetry endpoints: a trial's output (in, as JSON, and as a .txt download) and its
system samples. Each validates, calls one service or selector, and serializes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from kuro.server.telemetry import selectors, services
from kuro.server.telemetry.schemas import (
    OutputIn,
    OutputOut,
    OutputStoredOut,
    SamplesIn,
    SamplesOut,
    SystemSeriesOut,
)
from kuro.server.tracking.schemas import ERRORS, PathId

router = Router(tags=["telemetry"])


@router.post("/trials/{trial_id}/output", response={200: OutputStoredOut, **ERRORS})
def output_append(request: HttpRequest, trial_id: PathId, body: OutputIn) -> dict[str, Any]:
    """Add a piece of the trial's console output; a resent piece is stored once. Past the
    server's allowance (``KURO_OUTPUT_MAX_CHARS``) the first and last halves are kept."""
    log = services.output_append(trial_id=trial_id, **body.model_dump())
    return {
        "trial_id": trial_id,
        "chars": log.head_chars + log.tail_chars,
        "cut_chars": log.cut_chars,
    }


@router.get("/trials/{trial_id}/output", response={200: OutputOut, **ERRORS})
def trial_output(request: HttpRequest, trial_id: PathId, search: str = "") -> dict[str, Any]:
    """The trial's kept output, the cut marked; with ``search``, the lines holding it."""
    return selectors.trial_output(trial_id=trial_id, search=search[:1000])


@router.get("/trials/{trial_id}/output.txt", response={200: None, **ERRORS})
def output_download(request: HttpRequest, trial_id: PathId) -> HttpResponse:
    """The trial's kept output as a text file."""
    text = selectors.output_text(trial_id=trial_id)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="trial-{trial_id}-output.txt"'
    return response


@router.post("/trials/{trial_id}/system", response={200: SamplesOut, **ERRORS})
def system_samples_record(
    request: HttpRequest, trial_id: PathId, body: SamplesIn
) -> dict[str, Any]:
    """Store system samples (CPU, memory, GPUs) of the trial, apart from its metrics."""
    samples = [s.model_dump() for s in body.samples]
    stored = services.system_samples_record(trial_id=trial_id, samples=samples)
    return {"trial_id": trial_id, "stored": stored}


@router.get("/trials/{trial_id}/system", response={200: SystemSeriesOut, **ERRORS})
def system_series(request: HttpRequest, trial_id: PathId) -> dict[str, Any]:
    """The trial's system samples as series over time."""
    return selectors.system_series(trial_id=trial_id)
