from __future__ import annotations

from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    name = "kuro.server.telemetry"
    label = "telemetry"
    verbose_name = "Kuro output and system metrics"
    default_auto_field = "django.db.models.BigAutoField"
