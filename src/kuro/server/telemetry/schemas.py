"""Request and response bodies of the telemetry endpoints."""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import Field, StrictFloat, StrictInt

from kuro.server.telemetry.limits import CHUNK_MAX, SAMPLE_VALUES_MAX, SAMPLES_MAX, SESSION_MAX

__all__ = ["OutputIn", "OutputOut", "OutputStoredOut", "SamplesIn", "SamplesOut", "SystemSeriesOut"]

Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
SampleName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
SampleValue = Annotated[StrictFloat | StrictInt, Field(allow_inf_nan=False)]


class OutputIn(Schema):
    """A piece of a process's console output: ``text`` starts ``offset`` characters into
    what capture ``session`` has written (a resend is recognized by it)."""

    session: Annotated[
        str, Field(min_length=1, max_length=SESSION_MAX, pattern=r"^[A-Za-z0-9_.:-]+$")
    ]
    offset: Annotated[StrictInt, Field(ge=0, le=2**62)]
    text: Annotated[str, Field(max_length=CHUNK_MAX)]
    time: Seconds | None = None


class OutputStoredOut(Schema):
    trial_id: int
    chars: int
    cut_chars: int


class OutputOut(Schema):
    chars: int
    cut_chars: int
    text: str
    matches: int | None


class Sample(Schema):
    time: Seconds
    values: Annotated[dict[SampleName, SampleValue], Field(max_length=SAMPLE_VALUES_MAX)]


class SamplesIn(Schema):
    samples: Annotated[list[Sample], Field(min_length=1, max_length=SAMPLES_MAX)]


class SamplesOut(Schema):
    trial_id: int
    stored: int


class SystemSeriesOut(Schema):
    times: list[float]
    values: dict[str, list[float | None]]
