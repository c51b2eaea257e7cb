from __future__ import annotations

from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "kuro.server.annotations"
    label = "annotations"
    verbose_name = "Kuro tags and notes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Exports carry each experiment's and trial's tags and note: tracking's export
        # selector calls the hooks other apps add (tracking never imports this app).
        from kuro.server.annotations.selectors import export_annotate
        from kuro.server.tracking.selectors.export import EXPORT_HOOKS

        if export_annotate not in EXPORT_HOOKS:
            EXPORT_HOOKS.append(export_annotate)
