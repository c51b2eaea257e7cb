"""Typed request and response bodies of the JSON API (the OpenAPI schema is built from these)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Path, Query, Schema
from pydantic import Field, PlainSerializer, StrictFloat, StrictInt

from kuro.core.comparison import Statistic
from kuro.core.limits import (
    ARGV_MAX,
    BATCH_ID_MAX,
    CONTEXT_TEXT_MAX,
    DIFF_MAX,
    ERROR_TEXT_MAX,
    ID_MAX,
    IDENTIFIER_MAX,
    NAME_MAX,
    PACKAGES_MAX,
    STEP_MAX,
    STEP_MIN,
    TEXT_MAX,
)
from kuro.core.modes import Mode
from kuro.core.values import NonFinite, encode_value, encode_values

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
Identifier = Annotated[str, Field(min_length=1, max_length=IDENTIFIER_MAX)]
# A metric value on the wire: a JSON number or one of the three non-finite strings. Answers
# hold floats (what the selectors return) until the schema writes them out: the edge.
WireFloat = StrictFloat | NonFinite
# A metric value the server answers: a float in Python (NaN included), written in wire form
# when the answer is serialised; the schema documents the wire form.
FloatOut = Annotated[WireFloat, PlainSerializer(encode_value, return_type=WireFloat)]
# A series' values: encoded as one list (one comparison a finite value).
FloatsOut = Annotated[list[WireFloat], PlainSerializer(encode_values, return_type=list[WireFloat])]
Step = Annotated[StrictInt, Field(ge=STEP_MIN, le=STEP_MAX)]
# A database id: positive and within 64 bits, so that no id can overflow a query.
Id = Annotated[StrictInt, Field(ge=1, le=ID_MAX)]
Text = Annotated[str, Field(max_length=TEXT_MAX)]
SessionName = Annotated[str, Field(min_length=1, max_length=100)]


PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
QueryId = Annotated[int, Query(ge=1, le=ID_MAX)]


class Gpu(Schema):
    name: Text
    memory_gib: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class WorkerIn(Schema):
    name: Name
    cpu: Text = ""
    memory_gib: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    gpus: Annotated[list[Gpu], Field(max_length=64)] = []
    hostname: Text = ""
    platform: Text = ""
    python_version: Annotated[str, Field(max_length=100)] = ""


class WorkerOut(Schema):
    name: str
    created_at: str | None
    last_seen_at: str | None
    cpu: str
    memory_gib: float | None
    gpus: list[dict[str, Any]]
    hostname: str
    platform: str
    python_version: str
    active: bool
    n_running: int | None = None


class MetricIn(Schema):
    group: Name
    name: Name
    mode: Mode | None = None


class MetricOut(Schema):
    group: str
    name: str
    mode: Mode


class MetricSpec(Schema):
    name: Name
    mode: Mode | None = None


class ExperimentIn(Schema):
    group: Name
    identifier: Identifier
    hyper_parameters: dict[str, Any] = {}
    n_trials: Annotated[int, Field(ge=1)] = 1
    metrics: Annotated[list[MetricSpec], Field(max_length=1000)] = []


class ExperimentOut(Schema):
    id: int
    group: str
    identifier: str
    hyper_parameters: dict[str, Any]
    n_trials: int
    metrics: list[str]
    created_at: str | None


class ExperimentDetailOut(ExperimentOut):
    metric_modes: dict[str, Mode]
    n_trials_started: int


class Summary(Schema):
    best: FloatOut
    last: FloatOut
    last_step: int
    count: int


class TrialOut(Schema):
    id: int
    experiment_id: int
    number: int
    attempt: int
    worker: str | None
    status: str
    error: str
    extra: bool
    created_at: str | None
    started_at: str | None
    ended_at: str | None
    heartbeat_at: str | None
    lease_expires_at: str | None
    summaries: dict[str, Summary]


ContextText = Annotated[str, Field(max_length=CONTEXT_TEXT_MAX)]
ShortText = Annotated[str, Field(max_length=300)]


class GitIn(Schema):
    commit: Annotated[str, Field(max_length=64)]
    branch: ContextText = ""
    dirty: bool = False
    diff: Annotated[str, Field(max_length=DIFF_MAX)] = ""
    diff_truncated: bool = False
    remote: ContextText = ""


class ContextIn(Schema):
    """What a trial was (``kuro.client._context``); its packages are stored once per set."""

    git: GitIn | None = None
    argv: Annotated[list[ContextText], Field(max_length=ARGV_MAX)] = []
    cwd: ContextText = ""
    python_version: Annotated[str, Field(max_length=100)] = ""
    python_executable: ContextText = ""
    hostname: ShortText = ""
    cuda_visible_devices: ShortText | None = None
    scheduler: Annotated[
        dict[
            Literal["slurm_job_id", "slurm_array_job_id", "slurm_array_task_id", "kubernetes_pod"],
            ShortText,
        ],
        Field(max_length=4),
    ] = {}
    # Left out (null) with a packages_hash the server already holds: the client sent the
    # list once, and the server answers 404 naming packages_hash when it does not hold it.
    packages: Annotated[list[ShortText], Field(max_length=PACKAGES_MAX)] | None = None
    packages_hash: Annotated[str, Field(max_length=64)] | None = None


class TrialDetailOut(TrialOut):
    group: str
    identifier: str
    hyper_parameters: dict[str, Any]
    context: dict[str, Any] | None = None


class AcquireIn(Schema):
    worker: Name
    # Offline replays: a trial made offline beyond n_trials is stored, marked extra.
    extra: bool = False
    # The client session (one process) asking: only it resumes its trial while the lease
    # lasts; another live process with the same worker name gets a trial of its own.
    session: SessionName | None = None
    # Sessions of this worker that the client knows are dead (a crashed process on the same
    # machine, its spool lock free): their trials are resumed at once, not after the lease.
    resume: Annotated[list[SessionName], Field(max_length=64)] = []
    # The run context of the trial, recorded with it (unless a resumed trial has one): the
    # same as POST /trials/{id}/context, in the same request.
    context: ContextIn | None = None


class AcquireOut(Schema):
    trial: TrialDetailOut | None
    reason: Literal["no_more_trials"] | None = None


class EndIn(Schema):
    status: Literal["complete", "failed", "pruned"] = "complete"
    error: Annotated[str, Field(max_length=ERROR_TEXT_MAX)] = ""
    requeue: bool = False


class HeartbeatOut(Schema):
    id: int
    status: str
    heartbeat_at: str | None
    lease_expires_at: str | None
    should_prune: bool


class SeriesIn(Schema):
    trial_id: Id
    metric: Name
    steps: list[Step]
    values: list[WireFloat]
    times: list[Annotated[float, Field(allow_inf_nan=False)]] = []
    mode: Mode | None = None


class PointIn(Schema):
    trial_id: Id
    metric: Name
    step: Step
    value: WireFloat
    time: Annotated[float, Field(allow_inf_nan=False)] | None = None
    mode: Mode | None = None


class BatchIn(Schema):
    batch_id: Annotated[str, Field(min_length=1, max_length=BATCH_ID_MAX)] | None = None
    series: list[SeriesIn] = []
    points: list[PointIn] = []


class BatchOut(Schema):
    n_points: int
    duplicate: bool
    prune: list[int] = []


class HistoryIn(Schema):
    trial_ids: Annotated[list[Id], Field(min_length=1)]
    metrics: list[Name] | None = None
    max_points: Annotated[int, Field(ge=2, le=1_000_000)] | None = None
    step_min: Step | None = None
    step_max: Step | None = None


class SeriesOut(Schema):
    steps: list[int]
    values: FloatsOut
    times: list[float]
    count: int
    sampled: bool


class TrialHistoryOut(Schema):
    trial_id: int
    metrics: dict[str, SeriesOut]


class GroupOut(Schema):
    name: str
    created_at: str | None
    n_experiments: int
    n_trials: int


class GroupMetricOut(Schema):
    name: str
    mode: Mode


class ExperimentWithTrialsOut(ExperimentOut):
    trials: list[TrialOut]
    status_counts: dict[str, int]


class GroupExperimentsOut(Schema):
    group: str
    metrics: list[GroupMetricOut]
    experiments: list[ExperimentWithTrialsOut]


class ErrorOut(Schema):
    error: str
    message: str
    detail: Any = None


# Every status an operation may answer besides 200, in Kuro's one error format.
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422, 500, 503)}


class LimitsOut(Schema):
    max_batch_points: int
    max_body_bytes: int
    max_history_trials: int
    max_trials: int
    max_metrics: int
    max_hyper_parameters_bytes: int


class HealthOut(Schema):
    status: str
    version: str
    limits: LimitsOut


class VersusOut(Schema):
    """A setting against the leader (``kuro.core.statistics.versus``)."""

    difference: FloatOut = Field(
        description="this setting's mean minus the leader's, in the metric's units"
    )
    ci_low: FloatOut = Field(description="95% Welch interval of the difference, low end")
    ci_high: FloatOut = Field(description="95% Welch interval of the difference, high end")
    p_value: FloatOut = Field(description="Welch's t-test of equal means (NaN: no test)")
    probability_of_improvement: FloatOut = Field(
        description="P(a leader's trial beats one of this setting's); ties count half"
    )
    separated: bool = Field(description="Welch's test rejects equal means at alpha 0.05")
    more_trials: int | None = Field(
        description="more trials per setting that would tell them apart at 80% power, "
        "from the observed difference and pooled spread (0 when separated, null when unknown "
        "or tied; a floor when the verdict says 10,000 or more)"
    )
    verdict: str = Field(description="the comparison in words")


class ComparedExperimentOut(Schema):
    """One setting: its per-trial values over complete trials, described."""

    experiment_id: int = Field(description="the experiment (one hyper-parameter setting)")
    identifier: str = Field(description="the experiment's identifier")
    hyper_parameters: dict[str, Any] = Field(description="the setting's hyper-parameters")
    rank: int = Field(description="1 is the leader; settings without a value rank last")
    values: FloatsOut = Field(
        description="each complete trial's value of the statistic, one per trial that has "
        "one; NaN where that value is NaN (left out of n and of every statistic below)"
    )
    n: int = Field(description="complete trials with a value")
    mean: FloatOut = Field(description="mean of the values (the ranking key)")
    std: FloatOut = Field(description="sample standard deviation (NaN below two trials)")
    sem: FloatOut = Field(description="standard error of the mean")
    ci_low: FloatOut = Field(description="95% Student-t interval of the mean, low end")
    ci_high: FloatOut = Field(description="95% Student-t interval of the mean, high end")
    median: FloatOut = Field(description="median of the values")
    iqm: FloatOut = Field(description="interquartile mean (the middle 50% of trials)")
    bootstrap_low: FloatOut = Field(
        description="95% percentile-bootstrap interval of the mean, low end (seeded by the "
        "experiment id: the same answer each time; NaN when no resamples were asked for)"
    )
    bootstrap_high: FloatOut = Field(description="the bootstrap interval's high end")
    versus_leader: VersusOut | None = Field(description="null for the leader itself")


class ComparisonOut(Schema):
    """A group's settings ranked on one metric (``GET /compare``)."""

    group: str = Field(description="the group compared")
    metric: str = Field(description="the metric compared")
    mode: Mode = Field(description="the metric's mode: max or min is best")
    statistic: Statistic = Field(
        description="each trial's value: its best by the mode, its last, its value at "
        "step, or its summary (last) value"
    )
    step: int | None = Field(description="the step, with statistic=step; else null")
    leader_id: int | None = Field(
        description="the experiment with the best mean; null when none has a value"
    )
    experiments: list[ComparedExperimentOut] = Field(
        description="every experiment of the group, leader first, in rank order"
    )
