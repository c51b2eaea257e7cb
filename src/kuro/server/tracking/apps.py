from __future__ import annotations

from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "kuro.server.tracking"
    label = "tracking"
    verbose_name = "Kuro tracking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kuro.server.allocator import allocator_keep, keep_bytes

        # Series reads and batches reuse the memory the previous request freed.
        allocator_keep(keep_bytes())
