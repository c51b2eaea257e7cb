from __future__ import annotations

from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "kuro.server.queue"
    label = "queue"
    verbose_name = "Kuro queue and sweeps"
    default_auto_field = "django.db.models.BigAutoField"
