"""Output and system samples of trials, apart from the tracking app's metric points.

A trial's output is a ``OutputLog`` (its totals and, per capture session, how far it was
received) and its ``OutputChunk`` rows, in arrival order: the *head* ones (the first half of
the trial's allowance, never removed) and the *tail* ones (the latest half, whose oldest
characters are dropped as new ones come, and counted in ``cut_chars``).
"""

from __future__ import annotations

from django.db import models

__all__ = ["OutputChunk", "OutputLog", "SystemSample"]


class OutputLog(models.Model):
    trial = models.OneToOneField(
        "tracking.Trial", on_delete=models.CASCADE, related_name="output_log"
    )
    head_chars = models.BigIntegerField(default=0)
    tail_chars = models.BigIntegerField(default=0)
    cut_chars = models.BigIntegerField(default=0)
    # {session: characters received}: a resent piece (an answer lost) is recognized and
    # ignored, even once the tail it went to was cut away.
    received = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"output of trial {self.trial_id}"


class OutputChunk(models.Model):
    trial = models.ForeignKey(
        "tracking.Trial", on_delete=models.CASCADE, related_name="output_chunks"
    )
    head = models.BooleanField(default=False)
    text = models.TextField()
    time = models.FloatField(null=True, blank=True)  # seconds since the epoch, when written

    class Meta:
        indexes = [models.Index(fields=["trial", "head", "id"])]

    def __str__(self) -> str:
        return f"{len(self.text)} characters of trial {self.trial_id}"


class SystemSample(models.Model):
    trial = models.ForeignKey(
        "tracking.Trial", on_delete=models.CASCADE, related_name="system_samples"
    )
    time = models.FloatField()  # seconds since the epoch, on the server's clock
    values = models.JSONField(default=dict)  # {"cpu_percent": 93.5, "gpu0_memory_mib": ...}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trial", "time"], name="system_sample_once")]

    def __str__(self) -> str:
        return f"sample of trial {self.trial_id} at {self.time}"
