"""Request and response bodies of the queue and sweeps API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from kuro.server.tracking.schemas import (
    Id,
    Identifier,
    MetricSpec,
    Mode,
    Name,
    TrialDetailOut,
    WireFloat,
)

Lease = Annotated[int, Field(ge=1, le=7 * 24 * 3600)]
Retries = Annotated[int, Field(ge=0, le=100)]


class EnqueueIn(Schema):
    group: Name
    identifier: Identifier
    hyper_parameters: dict[str, Any] = {}
    grid: dict[str, list[Any]] | None = None
    n_trials: Annotated[int, Field(ge=1)] = 1
    metrics: Annotated[list[MetricSpec], Field(max_length=1000)] = []
    lease_seconds: Lease | None = None
    max_retries: Retries | None = None


class EnqueueOut(Schema):
    experiments: list[int]
    queued: int


class QueueStatusOut(Schema):
    group: str | None
    sweep: int | None
    counts: dict[str, int]
    total: int


class WorkIn(Schema):
    worker: Name
    group: Name | None = None
    sweep: Id | None = None


class WorkOut(Schema):
    trial: TrialDetailOut | None
    reason: Literal["queue_empty", "sweep_finished"] | None = None


class ParamSpec(Schema):
    type: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: list[Any] | None = None


class SweepIn(Schema):
    group: Name
    identifier: Identifier
    space: dict[str, dict[str, Any]]
    objective: Name
    mode: Mode | None = None
    sampler: Literal["tpe", "random", "grid", "cmaes", "gp"] = "tpe"
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = None
    max_configs: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    n_trials: Annotated[int, Field(ge=1, le=1000)] = 1
    pruner: Literal["none", "median", "hyperband"] = "none"
    pruner_options: dict[str, Any] = {}
    fixed: dict[str, Any] = {}
    name: Annotated[str, Field(max_length=200)] = ""
    lease_seconds: Lease | None = None
    max_retries: Retries | None = None


class SweepOut(Schema):
    id: int
    name: str
    group: str
    identifier: str
    space: dict[str, Any]
    fixed: dict[str, Any]
    objective: str
    mode: Mode
    sampler: str
    seed: int | None
    max_configs: int
    n_trials: int
    pruner: str
    status: str
    created_at: str | None
    n_configs: int = 0


class SweepConfigOut(Schema):
    """A configuration; ``value``, ``mean``, ``std`` and the 95% interval of the mean
    (``ci_low``, ``ci_high``; ``"NaN"`` for a single complete trial) are wire values
    (``"Infinity"``...) or null when there is none. ``n_complete`` is the number of complete
    trials they summarise."""

    number: int
    experiment_id: int
    params: dict[str, Any]
    state: str
    value: WireFloat | None
    mean: WireFloat | None
    std: WireFloat | None
    ci_low: WireFloat | None = None
    ci_high: WireFloat | None = None
    n_complete: int
    status_counts: dict[str, int]


class SweepDetailOut(SweepOut):
    status_counts: dict[str, int]
    configs: list[SweepConfigOut]
    best: SweepConfigOut | None
