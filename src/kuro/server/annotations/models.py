"""Tags and notes of experiments and trials. A tag is a row (indexed: filtering by tag is
one query); a note is one row per experiment or trial that has one.

Models hold data and constraints only; writes are in ``services``, reads in ``selectors``.
"""

from __future__ import annotations

from django.db import models

from kuro.core.limits import TAG_MAX
from kuro.server.tracking.models import Experiment, Trial


class ExperimentTag(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=TAG_MAX, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["experiment", "name"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="experiment_tag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (experiment {self.experiment_id})"


class TrialTag(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=TAG_MAX, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["trial", "name"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "name"], name="trial_tag_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (trial {self.trial_id})"


class ExperimentNote(models.Model):
    experiment = models.OneToOneField(Experiment, on_delete=models.CASCADE, related_name="note")
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"note of experiment {self.experiment_id}"


class TrialNote(models.Model):
    trial = models.OneToOneField(Trial, on_delete=models.CASCADE, related_name="note")
    text = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"note of trial {self.trial_id}"
