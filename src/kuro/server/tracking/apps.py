from __future__ import annotations

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "kuro.server.tracking"
    label = "tracking"
    verbose_name = "Kuro tracking"
    default_auto_field = "django.db.models.BigAutoField"
