"""Sweeps and their configurations. Queued work itself is ``tracking.Trial`` rows in the
``queued`` state; a sweep adds the search that decides what to queue next."""

from __future__ import annotations

from django.db import models

from kuro.server.tracking.models import Experiment, Group, Metric


class Sweep(models.Model):
    """A hyper-parameter search over one identifier of a group, driven by an Optuna sampler.

    ``space`` maps a parameter name to ``{"type": "float"|"int", "low", "high", "log",
    "step"}`` or ``{"type": "categorical", "choices": [...]}``; ``fixed`` holds the
    hyper-parameters every configuration shares. The objective is a metric of the group;
    its mode gives the direction. Each configuration runs ``n_trials`` times (seeds) and
    is scored by the mean over its complete trials of each trial's best value.
    """

    class Status(models.TextChoices):
        RUNNING = "running"
        FINISHED = "finished"

    class Sampler(models.TextChoices):
        TPE = "tpe"
        RANDOM = "random"
        GRID = "grid"
        CMAES = "cmaes"
        GP = "gp"

    class Pruner(models.TextChoices):
        NONE = "none"
        MEDIAN = "median"
        HYPERBAND = "hyperband"

    name = models.CharField(max_length=200, blank=True, default="")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="sweeps")
    identifier = models.CharField(max_length=500)
    space = models.JSONField()
    fixed = models.JSONField(default=dict, blank=True)
    objective = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="sweeps")
    sampler = models.CharField(max_length=16, choices=Sampler.choices, default=Sampler.TPE)
    seed = models.BigIntegerField(null=True, blank=True)
    max_configs = models.PositiveIntegerField()
    n_trials = models.PositiveIntegerField(default=1)
    pruner = models.CharField(max_length=16, choices=Pruner.choices, default=Pruner.NONE)
    pruner_options = models.JSONField(default=dict, blank=True)
    lease_seconds = models.PositiveIntegerField()
    max_retries = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"sweep {self.pk} {self.name or self.identifier}"


class SweepConfig(models.Model):
    """One configuration a sampler proposed: an experiment whose trials are its repeats.

    ``system_attrs`` keeps what the sampler attached to its Optuna trial (CMA-ES keeps its
    optimizer there), so that the study rebuilt from these rows after a restart is the same.
    """

    class State(models.TextChoices):
        RUNNING = "running"
        COMPLETE = "complete"
        PRUNED = "pruned"
        FAILED = "failed"

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="configs")
    number = models.PositiveIntegerField()
    experiment = models.OneToOneField(
        Experiment, on_delete=models.CASCADE, related_name="sweep_config"
    )
    params = models.JSONField()
    system_attrs = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    value = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sweep", "number"]
        constraints = [
            models.UniqueConstraint(fields=["sweep", "number"], name="sweep_config_number_unique"),
        ]

    def __str__(self) -> str:
        return f"sweep {self.sweep_id} config {self.number}"
