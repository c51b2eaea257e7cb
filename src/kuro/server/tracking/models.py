"""The tracking data model: workers, groups, metrics, experiments, trials and their points
(stored as chunks of series).

Models hold data and constraints only; the logic lives in ``services`` (writes) and
``selectors`` (reads).
"""

from __future__ import annotations

from django.db import models


class Worker(models.Model):
    """A machine (or process) that runs trials, known by a unique name."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)
    cpu = models.CharField("CPU brand", max_length=300, blank=True, default="")
    memory_gib = models.FloatField("memory (GiB)", null=True, blank=True)
    gpus = models.JSONField("GPUs", default=list, blank=True)  # [{"name": ..., "memory_gib": ...}]
    hostname = models.CharField(max_length=300, blank=True, default="")
    platform = models.CharField(max_length=300, blank=True, default="")
    python_version = models.CharField(max_length=100, blank=True, default="")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """A set of experiments compared together; a metric's mode is fixed per group."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Metric(models.Model):
    """A named measure in a group; ``mode`` says whether larger or smaller is better."""

    class Mode(models.TextChoices):
        MAX = "max"
        MIN = "min"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=200)
    mode = models.CharField(max_length=3, choices=Mode.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "name"]
        constraints = [
            models.UniqueConstraint(fields=["group", "name"], name="metric_unique_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.mode})"


class Experiment(models.Model):
    """One hyper-parameter setting of an identifier in a group, run as ``n_trials`` trials.

    ``hyper_parameters_key`` is a hash of the canonical form of ``hyper_parameters`` (sorted
    keys, ``1`` and ``1.0`` alike), so that the same setting is one experiment.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="experiments")
    identifier = models.CharField(max_length=500)
    hyper_parameters = models.JSONField(default=dict, blank=True)
    hyper_parameters_key = models.CharField(max_length=64, editable=False)
    n_trials = models.PositiveIntegerField(default=1)
    metrics = models.ManyToManyField(Metric, related_name="experiments", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "identifier", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "identifier", "hyper_parameters_key"],
                name="experiment_unique_setting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} #{self.pk}"


class PackageSet(models.Model):
    """A set of installed distributions (``name==version``), stored once however many
    trials ran with it; ``key`` is its hash."""

    key = models.CharField(max_length=64, unique=True)
    packages = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"package set {self.key[:12]} ({len(self.packages)})"


class Trial(models.Model):
    """One run of an experiment. ``number`` counts the experiment's trials from 0; a trial
    whose worker went silent past its lease is ``lost`` (its slot is free again), and work
    the queue owns is queued again as a new row with the same number and the next
    ``attempt``.

    Every running trial holds a lease until ``lease_expires_at``, renewed by heartbeats:
    queued work for its ``lease_seconds``, a trial acquired with ``experiment.trial()`` (no
    ``lease_seconds``) for the server's ``KURO_LEASE_SECONDS``. Past it the trial is lost.
    ``session`` names the client session (one client process) that holds a running trial:
    only that session resumes it while its lease lasts.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        COMPLETE = "complete"
        FAILED = "failed"
        PRUNED = "pruned"
        LOST = "lost"

    ENDED = (Status.COMPLETE, Status.FAILED, Status.PRUNED, Status.LOST)

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="trials")
    worker = models.ForeignKey(
        Worker, on_delete=models.SET_NULL, null=True, blank=True, related_name="trials"
    )
    number = models.PositiveIntegerField()
    attempt = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    lease_seconds = models.PositiveIntegerField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    max_retries = models.PositiveIntegerField(default=0)
    session = models.CharField(max_length=100, null=True, blank=True)
    # Made while offline beyond the experiment's n_trials: kept, never dropped.
    extra = models.BooleanField(default=False)
    # What the trial was (git state, command, host...; see kuro.client._context), without
    # its packages, which are a shared PackageSet.
    context = models.JSONField(null=True, blank=True)
    package_set = models.ForeignKey(
        PackageSet, on_delete=models.PROTECT, null=True, blank=True, related_name="trials"
    )

    class Meta:
        ordering = ["experiment", "number", "attempt"]
        constraints = [
            # Two acquisitions racing for the last slot cannot both win.
            models.UniqueConstraint(
                fields=["experiment", "number", "attempt"], name="trial_number_attempt_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["worker", "status"], name="trial_worker_status"),
            models.Index(fields=["status", "lease_expires_at"], name="trial_status_lease"),
        ]

    def __str__(self) -> str:
        return f"trial {self.pk} ({self.status})"


class Chunk(models.Model):
    """Up to ``chunks.CHUNK_POINTS`` consecutive points of one (trial, metric) series, in one
    row: steps ``first_step`` to ``last_step`` (no other chunk of the series overlaps them),
    encoded by ``kuro.server.tracking.chunks`` (see ``docs/storage.md``).

    The columns describe the chunk without decoding it: its minimum and maximum (NaN
    skipped, infinities kept; NULL when every value is NaN, the step and time then those of
    the first point) with their steps and times, and its last value (NULL is NaN). ``blocks``
    holds the same statistics per block of ``chunks.BLOCK_POINTS`` points, ``payload`` the
    points themselves, bit for bit; both come last, so reading the columns before them never
    touches their pages.
    """

    # The unique (trial, metric, first_step) index serves every lookup: no FK indexes.
    trial = models.ForeignKey(
        Trial, on_delete=models.CASCADE, related_name="chunks", db_index=False
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="chunks", db_index=False
    )
    first_step = models.BigIntegerField()
    last_step = models.BigIntegerField()
    count = models.IntegerField()
    first_time = models.FloatField()
    min_step = models.BigIntegerField()
    min_value = models.FloatField(null=True)
    min_time = models.FloatField()
    max_step = models.BigIntegerField()
    max_value = models.FloatField(null=True)
    max_time = models.FloatField()
    last_value = models.FloatField(null=True)
    blocks = models.BinaryField()
    payload = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "metric", "first_step"], name="chunk_unique_first_step"
            ),
        ]

    def __str__(self) -> str:
        return f"chunk of trial {self.trial_id}, steps {self.first_step}-{self.last_step}"


class Summary(models.Model):
    """Per (trial, metric): count, minimum, maximum and last value of its points, kept by
    the one write path (``services.points``) so that reading a group costs one row per
    trial and metric, not a scan of its points. NULL values mean NaN as in ``Chunk``;
    ``min_value``/``max_value`` skip NaN and are NULL when every value is NaN."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="summaries")
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="summaries")
    count = models.BigIntegerField()
    min_value = models.FloatField(null=True)
    max_value = models.FloatField(null=True)
    last_step = models.BigIntegerField()
    last_value = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trial", "metric"], name="summary_unique"),
        ]


class IngestBatch(models.Model):
    """A client-chosen batch id already applied: a resent batch is applied once."""

    batch_id = models.CharField(max_length=100, unique=True)
    n_points = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now_add=True)
